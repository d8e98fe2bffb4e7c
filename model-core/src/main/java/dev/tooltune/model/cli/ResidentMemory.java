package dev.tooltune.model.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set size from /proc (Linux): heap, native tensors and code together. */
final class ResidentMemory {
    private ResidentMemory() {
    }

    static long currentBytes() {
        return field("VmRSS:");
    }

    /** High-water mark of the resident set since the process started. */
    static long peakBytes() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
