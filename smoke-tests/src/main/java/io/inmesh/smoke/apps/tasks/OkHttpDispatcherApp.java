package io.inmesh.smoke.apps.tasks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An OkHttp application whose dispatcher runs one asynchronous call at a time
 * ({@code Dispatcher.setMaxRequests(1)}), as some applications limit it. No inmesh code.
 *
 * <p>{@code GET /race?first=U1&second=U2}: enqueues U1, then U2, and answers as soon as U2 is done
 * (bounded at 30 s): {@code {"done":["second"...], "secondStatus":.., "firstDone":true|false}}. With
 * one dispatcher slot, U2 can finish before U1 only if U1 does not hold the slot.
 *
 * <p>Usage: {@code OkHttpDispatcherApp <address> <port>}.
 */
public final class OkHttpDispatcherApp {
  private static final OkHttpClient CLIENT;

  static {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(1);
    CLIENT = new OkHttpClient.Builder().dispatcher(dispatcher).connectTimeout(3, TimeUnit.SECONDS).build();
  }

  private OkHttpDispatcherApp() {}

  public static void main(String[] args) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(args[0], Integer.parseInt(args[1])), 16);
    server.createContext("/race", OkHttpDispatcherApp::race);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
    System.out.println("okhttp dispatcher app listening on " + server.getAddress());
  }

  private static void race(HttpExchange ex) throws IOException {
    String first = null;
    String second = null;
    for (String kv : ex.getRequestURI().getRawQuery().split("&")) {
      String v = URLDecoder.decode(kv.substring(kv.indexOf('=') + 1), StandardCharsets.UTF_8);
      if (kv.startsWith("first=")) {
        first = v;
      } else if (kv.startsWith("second=")) {
        second = v;
      }
    }
    List<String> done = new CopyOnWriteArrayList<>();
    CompletableFuture<Integer> secondStatus = new CompletableFuture<>();
    CLIENT.newCall(new Request.Builder().url(first).build()).enqueue(callback("first", done, new CompletableFuture<>()));
    CLIENT.newCall(new Request.Builder().url(second).build()).enqueue(callback("second", done, secondStatus));
    String status;
    try {
      status = String.valueOf(secondStatus.get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      status = "0";
    }
    String json = "{\"done\":\"" + String.join(",", done) + "\",\"secondStatus\":\"" + status + "\",\"firstDone\":" + done.contains("first") + "}";
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  private static Callback callback(String name, List<String> done, CompletableFuture<Integer> status) {
    return new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        done.add(name);
        status.complete(0);
      }

      @Override
      public void onResponse(Call call, Response response) {
        response.close();
        done.add(name);
        status.complete(response.code());
      }
    };
  }
}
