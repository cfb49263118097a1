// The runner image's stand-in for the vendor's agent: a real JVM (so the in-pod checks read a real java
// process's heap flags) serving the runner's /actuator/prometheus on 8080 with the series the doctor and
// the HPA read. Test knobs (not the vendor's): RD_AGENT_STATUS (1 running, 0 stopped), RD_TASKS,
// RD_VERSION. `--self-test` prints one scrape and exits (used when the image is built).
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public final class Agent {
  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static String metrics() {
    Runtime rt = Runtime.getRuntime();
    String version = env("RD_VERSION", "2026.11.3");
    return String.join("\n",
        "# HELP app_version_info Runner version",
        "# TYPE app_version_info gauge",
        "app_version_info{application=\"agent\",version=\"" + version + "\"} 1.0",
        "# HELP app_agent_status 1 running, 0 stopped",
        "# TYPE app_agent_status gauge",
        "app_agent_status{application=\"agent\"} " + env("RD_AGENT_STATUS", "1") + ".0",
        "# TYPE app_active_task_count gauge",
        "app_active_task_count{application=\"agent\"} " + env("RD_TASKS", "3") + ".0",
        "# TYPE app_active_request_count gauge",
        "app_active_request_count{application=\"agent\"} 1.0",
        "# TYPE app_open_sessions_count gauge",
        "app_open_sessions_count{application=\"agent\"} 0.0",
        "# TYPE jvm_memory_used_bytes gauge",
        "jvm_memory_used_bytes{area=\"heap\"} " + (rt.totalMemory() - rt.freeMemory()) + ".0",
        "# TYPE jvm_memory_max_bytes gauge",
        "jvm_memory_max_bytes{area=\"heap\"} " + rt.maxMemory() + ".0",
        "");
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--self-test")) {
      System.out.print(metrics());
      return;
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(8080), 16);
    server.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      boolean prom = path.equals("/actuator/prometheus");
      byte[] body = (prom ? metrics() : path.equals("/actuator/health") ? "{\"status\":\"UP\"}" : "not found\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", prom ? "text/plain; version=0.0.4; charset=utf-8" : "application/json");
      exchange.sendResponseHeaders(prom || path.equals("/actuator/health") ? 200 : 404, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    // SIGTERM (the kubelet stopping the pod): stop serving and exit 0, as a graceful agent does.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop(0);
      Runtime.getRuntime().halt(0);
    }));
    server.start();
    // PID 1 in a container ignores signals it has no handler for: say when the handlers are in place.
    System.out.println("agent listening on 8080");
    System.out.flush();
  }
}
