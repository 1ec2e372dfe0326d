package dev.emnistfaas.faas;

import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The functions' own web pages and the files they load, all served by the function (no CDN: a page works
 * where the cluster has no internet). Pages link to their files relatively ({@code ?asset=NAME}), so they work
 * behind any gateway address. Read once per process.
 */
enum WebPages {
  JOBS("pages/jobs.html", "text/html; charset=utf-8"),
  JOB("pages/job.html", "text/html; charset=utf-8"),
  PREDICT("pages/predict.html", "text/html; charset=utf-8"),
  STYLE("pages/style.css", "text/css; charset=utf-8"),
  AUTH_JS("pages/auth.js", "text/javascript; charset=utf-8"),
  UPLOT_JS("/META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
  UPLOT_CSS("/META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.min.css", "text/css; charset=utf-8");

  /** The files a page may ask for with {@code ?asset=NAME}. */
  private static final Map<String, WebPages> ASSETS = Map.of("style.css", STYLE, "auth.js", AUTH_JS,
      "uPlot.iife.min.js", UPLOT_JS, "uPlot.min.css", UPLOT_CSS);

  private final String resource;
  private final String contentType;
  private volatile String text;

  WebPages(String resource, String contentType) {
    this.resource = resource;
    this.contentType = contentType;
  }

  /** True when a browser asked (its Accept header names HTML); scripts and curl get JSON. */
  static boolean browserAsked(IRequest request) {
    String accept = HttpHeaders.value(request.getHeaders(), "Accept");
    return accept != null && accept.contains("text/html");
  }

  /** The file named by {@code ?asset=NAME}, or null when the request names none; 404 for an unknown name. */
  static IResponse asset(Map<String, String> query) {
    String name = query.get("asset");
    if (name == null) {
      return null;
    }
    WebPages page = ASSETS.get(name);
    if (page == null) {
      Response r = new Response();
      r.setStatusCode(404);
      r.setContentType("text/plain; charset=utf-8");
      r.setBody("no asset " + name + "; there are " + String.join(", ", new java.util.TreeSet<>(ASSETS.keySet())));
      return r;
    }
    IResponse r = page.response();
    r.setHeader("Cache-Control", "max-age=3600");
    return r;
  }

  IResponse response() {
    Response r = new Response();
    r.setStatusCode(200);
    r.setContentType(contentType);
    r.setBody(text());
    return r;
  }

  private String text() {
    String t = text;
    if (t == null) {
      try (InputStream in = WebPages.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("resource " + resource + " is missing from the function's classpath");
        }
        t = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      text = t;
    }
    return t;
  }
}
