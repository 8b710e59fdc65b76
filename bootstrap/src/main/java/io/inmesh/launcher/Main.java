package io.inmesh.launcher;

/** {@code java -jar inmesh-agent.jar --version}: what this jar is. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && ("--version".equals(args[0]) || "-v".equals(args[0]))) {
      System.out.println("inmesh " + Versions.INMESH);
      System.out.println("OpenTelemetry Java agent " + Versions.OTEL_AGENT);
      return;
    }
    System.out.println("inmesh " + Versions.INMESH + " — a service mesh without sidecars for the JVM");
    System.out.println();
    System.out.println("Attach it to an unchanged application:");
    System.out.println("  JAVA_TOOL_OPTIONS=-javaagent:/path/to/inmesh-agent.jar \\");
    System.out.println("  INMESH_CONTROL_URL=http://127.0.0.1:15010 INMESH_SERVICE=my-service \\");
    System.out.println("  java -jar my-service.jar");
    System.out.println();
    System.out.println("Options: --version   print the inmesh and embedded OpenTelemetry versions");
    if (args.length > 0 && !"--help".equals(args[0]) && !"-h".equals(args[0])) {
      System.err.println("unknown option: " + args[0]);
      System.exit(2);
    }
  }
}
