package dev.tooltune.model.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor lives: its file, element type, shape and absolute byte range in that file.
 */
public record TensorEntry(String name, Path file, StoredType type, long[] shape, long begin, long end) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape) + " @" + file.getFileName() + "[" + begin + "," + end + ")";
    }
}
