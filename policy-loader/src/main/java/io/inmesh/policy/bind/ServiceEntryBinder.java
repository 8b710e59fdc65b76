package io.inmesh.policy.bind;

import io.inmesh.policy.Enforcement;
import io.inmesh.policy.model.ResourceRef;
import io.inmesh.policy.model.ServiceEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Binds and checks a ServiceEntry spec (https://istio.io/latest/docs/reference/config/networking/service-entry/). */
final class ServiceEntryBinder {

  private static final Set<String> SPEC =
      Set.of("hosts", "addresses", "ports", "location", "resolution", "endpoints", "workloadSelector", "exportTo", "subjectAltNames");
  /** Istio's port protocols (case-insensitive). */
  static final Set<String> PROTOCOLS =
      Set.of("HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "HTTP_PROXY", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP", "THRIFT");

  private ServiceEntryBinder() {}

  static ServiceEntry bind(ResourceRef ref, String file, Cursor spec) {
    spec.checkFields(SPEC, Map.of("endpoint", "Istio calls this endpoints", "host", "Istio calls this hosts (a list)"));
    List<String> hosts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Cursor h : spec.get("hosts").items()) {
      String s = h.string();
      if (s == null) {
        continue;
      }
      if (s.equals("*") || !DnsNames.isHost(s)) {
        h.error("\"" + s + "\" is not a valid host", s.equals("*") ? "a ServiceEntry cannot claim every host" : null);
      } else if (!seen.add(s.toLowerCase(Locale.ROOT))) {
        h.error("duplicate host \"" + s + "\"", null);
      } else {
        hosts.add(s);
      }
    }
    if (!spec.get("hosts").present() || hosts.isEmpty() && spec.get("hosts").items().isEmpty()) {
      spec.error("a ServiceEntry needs at least one host", "e.g. hosts: [api.example.com]");
    }
    List<String> addresses = new ArrayList<>();
    for (Cursor a : spec.get("addresses").items()) {
      String s = a.string();
      if (s != null && !DnsNames.isIpOrCidr(s)) {
        a.error("\"" + s + "\" is not an IP address or CIDR block", null);
      } else if (s != null) {
        addresses.add(s);
      }
    }
    List<ServiceEntry.Port> ports = new ArrayList<>();
    Set<String> portNames = new HashSet<>();
    Set<Integer> portNumbers = new HashSet<>();
    for (Cursor p : spec.get("ports").items()) {
      if (!p.expectMap()) {
        continue;
      }
      p.checkFields(Set.of("number", "protocol", "name", "targetPort"), null);
      Integer number = p.get("number").port();
      if (!p.get("number").present()) {
        p.error("missing port number", null);
      }
      String protocol = p.get("protocol").string();
      if (protocol != null && !protocol.isEmpty() && !PROTOCOLS.contains(protocol.toUpperCase(Locale.ROOT))) {
        p.get("protocol").error("unsupported protocol " + Cursor.describe(protocol), "use HTTP, HTTPS, GRPC, HTTP2, TCP or TLS");
      }
      String name = p.get("name").string();
      if (name == null || !DnsNames.isDns1123Label(name)) {
        (p.get("name").present() ? p.get("name") : p)
            .error(name == null ? "missing port name" : "\"" + name + "\" is not a valid port name", "e.g. name: http");
      } else if (!portNames.add(name)) {
        p.get("name").error("port name \"" + name + "\" is defined already", null);
      }
      if (number != null && !portNumbers.add(number)) {
        p.get("number").error("port " + number + " is defined already", null);
      }
      Integer target = p.get("targetPort").present() ? p.get("targetPort").port() : null;
      if (number != null && name != null) {
        ports.add(new ServiceEntry.Port(number, protocol == null ? "" : protocol.toUpperCase(Locale.ROOT), name, target));
      }
    }
    if (!spec.get("ports").present()) {
      spec.warn("no ports: no call matches this ServiceEntry", "add ports: [{number: 80, name: http, protocol: HTTP}]");
    }
    ServiceEntry.Location location = ServiceEntry.Location.MESH_EXTERNAL;
    if (spec.get("location").present()) {
      String l = spec.get("location").enumValue(List.of("MESH_EXTERNAL", "MESH_INTERNAL"));
      location = l == null ? location : ServiceEntry.Location.valueOf(l);
    }
    ServiceEntry.Resolution resolution = ServiceEntry.Resolution.NONE;
    Cursor rc = spec.get("resolution");
    if (rc.present()) {
      String r = rc.enumValue(List.of("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"));
      resolution = r == null ? resolution : ServiceEntry.Resolution.valueOf(r);
    }
    List<ServiceEntry.Endpoint> endpoints = new ArrayList<>();
    List<Cursor> epCursors = spec.get("endpoints").items();
    for (Cursor e : epCursors) {
      ServiceEntry.Endpoint ep = endpoint(e, resolution, portNames);
      if (ep != null) {
        endpoints.add(ep);
      }
    }
    Map<String, String> selector = CommonBinders.selector(spec.get("workloadSelector"), "workloadSelector");
    if (selector != null && spec.get("endpoints").present()) {
      spec.error("give only one of endpoints and workloadSelector", null);
    }
    if (selector != null) {
      spec.get("workloadSelector")
          .warn("parsed but not enforced: inmesh has no WorkloadEntry registry, so this ServiceEntry has no endpoints", null);
    }
    switch (resolution) {
      case NONE -> {
        if (!epCursors.isEmpty()) {
          spec.get("endpoints").error("no endpoints should be given for resolution NONE", "use resolution: STATIC or DNS");
        }
      }
      case STATIC -> {
        if (epCursors.isEmpty() && selector == null) {
          spec.warn("resolution STATIC without endpoints: calls to these hosts get 503 no healthy upstream", "list endpoints: [{address: IP}]");
        }
      }
      case DNS, DNS_ROUND_ROBIN -> {
        if (epCursors.isEmpty()) {
          for (String h : hosts) {
            if (h.startsWith("*")) {
              spec.get("hosts")
                  .error("hosts must be fully qualified (no wildcard) when resolution " + resolution + " has no endpoints", null);
              break;
            }
          }
        } else {
          spec.get("endpoints").notEnforced(Enforcement.DNS_ENDPOINTS);
        }
        if (resolution == ServiceEntry.Resolution.DNS_ROUND_ROBIN && epCursors.size() > 1) {
          spec.get("endpoints").error("there must only be 0 or 1 endpoint for resolution DNS_ROUND_ROBIN", null);
        }
      }
      case DYNAMIC_DNS -> {
        for (String h : hosts) {
          if (!h.startsWith("*")) {
            spec.get("hosts").error("resolution DYNAMIC_DNS is only supported for wildcard hosts", null);
            break;
          }
        }
      }
    }
    if (resolution != ServiceEntry.Resolution.NONE && hosts.size() > 1) {
      for (ServiceEntry.Port p : ports) {
        if (!isHttp(p.protocol()) && !p.protocol().equals("HTTPS") && !p.protocol().equals("TLS")) {
          spec.get("hosts").error("multiple hosts provided with non-HTTP, non-TLS ports", null);
          break;
        }
      }
    }
    List<String> exportTo = CommonBinders.exportTo(spec.get("exportTo"));
    List<String> sans = spec.get("subjectAltNames").stringList();
    if (!sans.isEmpty()) {
      spec.get("subjectAltNames").notEnforced(Enforcement.SERVICE_ENTRY_SUBJECT_ALT_NAMES);
    }
    return new ServiceEntry(
        ref,
        file,
        List.copyOf(hosts),
        List.copyOf(addresses),
        List.copyOf(ports),
        location,
        resolution,
        List.copyOf(endpoints),
        exportTo,
        selector,
        sans);
  }

  /** HTTP, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, or unset (Istio sniffs it; inmesh sees HTTP calls only). */
  static boolean isHttp(String protocol) {
    return protocol == null
        || protocol.isEmpty()
        || protocol.equals("HTTP")
        || protocol.equals("HTTP2")
        || protocol.equals("GRPC")
        || protocol.equals("GRPC-WEB")
        || protocol.equals("HTTP_PROXY");
  }

  private static ServiceEntry.Endpoint endpoint(Cursor e, ServiceEntry.Resolution resolution, Set<String> portNames) {
    if (!e.expectMap()) {
      return null;
    }
    e.checkFields(Set.of("address", "ports", "labels", "network", "locality", "weight", "serviceAccount"), null);
    String address = e.get("address").string();
    if (address == null || address.isEmpty()) {
      if (!e.get("address").present() || address != null) {
        e.error("missing endpoint address", null);
      }
      return null;
    }
    if (resolution == ServiceEntry.Resolution.STATIC && !DnsNames.isIp(address) && !address.startsWith("unix://")) {
      e.get("address").error("\"" + address + "\" is not an IP address (resolution STATIC)", "use resolution: DNS for host names");
      return null;
    }
    if (!DnsNames.isIp(address) && !address.startsWith("unix://") && !DnsNames.isDns1123Subdomain(address.toLowerCase(Locale.ROOT))) {
      e.get("address").error("\"" + address + "\" is not a valid FQDN or IP address", null);
      return null;
    }
    if (address.startsWith("unix://")) {
      e.get("address").warn("parsed but not enforced: inmesh does not connect to unix domain sockets; this endpoint is not used", null);
    }
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Map.Entry<String, Cursor> p : e.get("ports").entries().entrySet()) {
      Integer n = p.getValue().port();
      if (!portNames.contains(p.getKey())) {
        p.getValue().error("endpoint port \"" + p.getKey() + "\" is not defined by the service entry's ports", null);
      } else if (n != null) {
        ports.put(p.getKey(), n);
      }
    }
    Map<String, String> labels = e.get("labels").stringMap();
    String network = e.get("network").string();
    String locality = e.get("locality").string();
    Integer weight = e.get("weight").present() ? e.get("weight").integer(0, Integer.MAX_VALUE) : null;
    e.get("serviceAccount").string();
    return new ServiceEntry.Endpoint(address, Collections.unmodifiableMap(ports), labels, network, locality, weight);
  }
}
