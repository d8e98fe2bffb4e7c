package dev.tooltune.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay between a service under test and the real PostgreSQL server, so a test can take the database away as a
 * server restart does, without touching the server others use: {@link #cut()} drops every open connection and refuses
 * new ones (connection refused), {@link #restore()} listens again on the same port.
 */
public final class DatabaseLink {
    private final String targetHost;
    private final int targetPort;
    private final int port;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocket listener;

    public DatabaseLink(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.port = freePort();
        restore();
    }

    /** Where PostgreSQL's JDBC URL {@code jdbc:postgresql://host:port/database...} goes through a new link. */
    public static DatabaseLink to(String jdbcUrl) {
        java.util.regex.Matcher server = java.util.regex.Pattern.compile("^jdbc:postgresql://([^:/?]+)(:([0-9]+))?/")
                .matcher(jdbcUrl);
        if (!server.find()) {
            throw new IllegalArgumentException("not a jdbc:postgresql://host[:port]/ URL: " + jdbcUrl);
        }
        return new DatabaseLink(server.group(1), server.group(3) == null ? 5432 : Integer.parseInt(server.group(3)));
    }

    public int port() {
        return port;
    }

    /** {@code jdbcUrl} (host, port, database, parameters) with the server replaced by this link. */
    public String jdbcUrl(String jdbcUrl) {
        return jdbcUrl.replaceFirst("^jdbc:postgresql://[^/]+/", "jdbc:postgresql://127.0.0.1:" + port + "/");
    }

    public synchronized void restore() {
        if (listener != null) {
            return;
        }
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            listener = socket;
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + port, e);
        }
        ServerSocket current = listener;
        Thread accept = new Thread(() -> {
            while (!current.isClosed()) {
                try {
                    Socket client = current.accept();
                    Socket server = new Socket(targetHost, targetPort);
                    open.add(client);
                    open.add(server);
                    pump(client, server);
                    pump(server, client);
                } catch (IOException e) {
                    // closed by cut(), or PostgreSQL refused: the client sees its socket closed
                }
            }
        }, "database-link-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public synchronized void cut() {
        try {
            if (listener != null) {
                listener.close();
            }
        } catch (IOException e) {
            // already closed
        }
        listener = null;
        for (Socket socket : open) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }
        open.clear();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread copy = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // one side went away
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException e) {
                    // already closed
                }
                open.remove(from);
                open.remove(to);
            }
        }, "database-link-copy");
        copy.setDaemon(true);
        copy.start();
    }
}
