package dev.emnistfaas.ps;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay in front of a real Redis that, once armed, lets one EXEC reach the server, waits for the server's
 * answer, and then cuts the client's connection instead of passing the answer on: the committed transaction whose
 * reply was lost, as a dropped connection leaves it.
 */
final class LostReplyProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int redisPort;
  private final AtomicBoolean armed = new AtomicBoolean();
  private volatile int cut;

  LostReplyProxy(int redisPort) throws IOException {
    this.redisPort = redisPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "lost-reply-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** The next EXEC's reply is lost. */
  void arm() {
    armed.set(true);
  }

  /** Connections cut so far. */
  int cut() {
    return cut;
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), redisPort);
        AtomicBoolean dropNextReply = new AtomicBoolean();
        start(() -> relay(client, server, dropNextReply, true));
        start(() -> relay(server, client, dropNextReply, false));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private static void start(Runnable r) {
    Thread t = new Thread(r, "lost-reply-relay");
    t.setDaemon(true);
    t.start();
  }

  private void relay(Socket from, Socket to, AtomicBoolean dropNextReply, boolean towardsServer) {
    byte[] buf = new byte[1 << 16];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) > 0; ) {
        if (towardsServer) {
          String chunk = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
          if (chunk.contains("EXEC\r\n") && armed.compareAndSet(true, false)) {
            dropNextReply.set(true);
          }
        } else if (dropNextReply.get()) {
          cut++;
          from.close();
          to.close();
          return;
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed: close the other
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
