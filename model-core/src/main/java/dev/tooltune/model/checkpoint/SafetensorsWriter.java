package dev.tooltune.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file. The header is fixed up front from the tensor specs, then tensors are
 * appended one by one in spec order, so a checkpoint bigger than memory (a random 4B model) can be written
 * tensor by tensor. Values are stored as F32 (adapters, merged checkpoints) or BF16 (compact random
 * checkpoints; rounded to nearest even). The file appears under its name only once complete.
 */
public final class SafetensorsWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CHUNK_ELEMENTS = 8L << 20;

    /** What will be written: a name, a shape and the stored type. */
    public record Spec(String name, long[] shape, StoredType type) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path target;
    private final Path partial;
    private final FileChannel channel;
    private final List<Spec> specs;
    private int next;
    private boolean complete;

    public SafetensorsWriter(Path target, List<Spec> specs, Map<String, String> metadata) {
        for (Spec s : specs) {
            if (s.type() != StoredType.F32 && s.type() != StoredType.BF16) {
                throw new IllegalArgumentException(s.name() + ": only F32 and BF16 can be written");
            }
        }
        this.target = target;
        this.partial = target.resolveSibling(target.getFileName() + ".partial");
        this.specs = List.copyOf(specs);
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Spec s : specs) {
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.type().name());
            var shape = t.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            long bytes = s.elements() * s.type().bytes();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            this.channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            while (head.hasRemaining()) {
                channel.write(head);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + partial + ": " + e.getMessage(), e);
        }
    }

    /** Writes all tensors of {@code tensors} (in map order) as {@code type}. */
    public static void write(Path target, Map<String, NDArray> tensors, StoredType type, Map<String, String> metadata) {
        List<Spec> specs = tensors.entrySet().stream()
                .map(e -> new Spec(e.getKey(), e.getValue().getShape().getShape(), type)).toList();
        try (SafetensorsWriter writer = new SafetensorsWriter(target, specs, metadata)) {
            tensors.values().forEach(writer::append);
        }
    }

    public static void write(Path target, Map<String, NDArray> tensors) {
        write(target, tensors, StoredType.F32, Map.of("format", "pt"));
    }

    /** Appends the next tensor in spec order; the array's shape must match the spec. */
    public void append(NDArray array) {
        if (next >= specs.size()) {
            throw new IllegalStateException("all " + specs.size() + " tensors are already written");
        }
        Spec spec = specs.get(next);
        if (!java.util.Arrays.equals(spec.shape(), array.getShape().getShape())) {
            throw new IllegalArgumentException(spec.name() + ": expected shape " + java.util.Arrays.toString(spec.shape())
                    + " but got " + array.getShape());
        }
        long rows = array.getShape().dimension() == 0 ? 1 : array.getShape().get(0);
        long rowElements = rows == 0 ? 0 : spec.elements() / rows;
        long rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / Math.max(1, rowElements));
        try {
            for (long row = 0; row < rows; row += rowsPerChunk) {
                long end = Math.min(rows, row + rowsPerChunk);
                NDArray slice = array.getShape().dimension() == 0 || (row == 0 && end == rows) ? array
                        : array.get(new NDIndex(row + ":" + end));
                try {
                    writeChunk(slice, spec.type());
                } finally {
                    if (slice != array) {
                        slice.close();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + spec.name() + " to " + partial + ": " + e.getMessage(), e);
        }
        next++;
    }

    private void writeChunk(NDArray chunk, StoredType type) throws IOException {
        NDArray floats = chunk.getDataType() == DataType.FLOAT32 ? chunk : chunk.toType(DataType.FLOAT32, false);
        ByteBuffer data;
        try {
            data = floats.toByteBuffer().order(ByteOrder.nativeOrder());
        } finally {
            if (floats != chunk) {
                floats.close();
            }
        }
        ByteBuffer out;
        if (type == StoredType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            out = data;
        } else {
            FloatBuffer values = data.asFloatBuffer();
            int n = values.remaining();
            out = ByteBuffer.allocate(n * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                float v = values.get(i);
                if (type == StoredType.F32) {
                    out.putFloat(v);
                } else {
                    out.putShort(toBfloat16(v));
                }
            }
            out.flip();
        }
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** Round-to-nearest-even truncation of a float to bfloat16 (NaN stays NaN). */
    static short toBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    @Override
    public void close() {
        try {
            channel.close();
            if (next == specs.size()) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                complete = true;
            } else {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!complete) {
            throw new IllegalStateException(target + ": only " + next + " of " + specs.size()
                    + " tensors were written; the partial file was removed");
        }
    }

    /** Writes a {@code model.safetensors.index.json} for shards written separately. */
    public static void writeIndex(Path directory, Map<String, String> weightToShard, long totalSize) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        new LinkedHashMap<>(weightToShard).forEach(map::put);
        try {
            Files.writeString(directory.resolve("model.safetensors.index.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
