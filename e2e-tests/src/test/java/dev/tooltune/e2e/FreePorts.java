package dev.tooltune.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Ports for a stack of the tests' own, so that it never meets another stack on this machine. */
final class FreePorts {
    private FreePorts() {}

    /** The first of {@code size} consecutive free ports in a random range (the stack uses port, port+1, ...). */
    static int block(int size) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first = ThreadLocalRandom.current().nextInt(20000, 30000);
            boolean free = true;
            for (int p = first; p < first + size && free; p++) {
                try (ServerSocket socket = new ServerSocket(p)) {
                    socket.setReuseAddress(true);
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new IOException("no block of " + size + " free ports found");
    }
}
