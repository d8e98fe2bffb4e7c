package dev.tooltune.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming every tensor's
 * dtype, shape and byte range, then the raw little-endian data. Only the header is read when opening; each
 * tensor is streamed in bounded chunks on request and converted to the compute type on the way (bf16 and fp16
 * are widened here because DJL's JNI has no bfloat16), so loading never holds more than one chunk in heap.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Source bytes converted per step; bounds the transient direct memory of a load. */
    static int chunkBytes = 32 << 20;
    private static final float[] HALF_TO_FLOAT = halfTable();

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorEntry> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, TensorEntry> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path + ": " + e.getMessage(), e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new IllegalArgumentException(path + ": not a safetensors file (only " + fileSize + " bytes)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > 100_000_000L || 8 + headerLength > fileSize) {
                throw new IllegalArgumentException(path + ": header length " + headerLength
                        + " is impossible for a file of " + fileSize + " bytes (not a safetensors file?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException(path + ": header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            Map<String, TensorEntry> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                JsonNode info = field.getValue();
                if (name.equals("__metadata__")) {
                    info.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(name, entry(path, name, info, dataStart, fileSize));
            }
            return new SafetensorsFile(path, channel, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static TensorEntry entry(Path path, String name, JsonNode info, long dataStart, long fileSize) {
        String where = path + ": tensor '" + name + "'";
        if (!info.has("dtype") || !info.has("shape") || !info.has("data_offsets")) {
            throw new IllegalArgumentException(where + " lacks dtype, shape or data_offsets");
        }
        StoredType type = StoredType.parse(info.get("dtype").asText(), name);
        JsonNode shapeNode = info.get("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = dataStart + info.get("data_offsets").get(0).asLong();
        long end = dataStart + info.get("data_offsets").get(1).asLong();
        TensorEntry entry = new TensorEntry(name, path, type, shape, begin, end);
        if (end < begin || end > fileSize) {
            throw new IllegalArgumentException(where + ": data_offsets point outside the file (truncated download?)");
        }
        if (entry.elementCount() * type.bytes() != end - begin) {
            throw new IllegalArgumentException(where + ": " + (end - begin) + " bytes do not match " + type
                    + " shape " + java.util.Arrays.toString(shape));
        }
        return entry;
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, TensorEntry> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public TensorEntry entry(String name) {
        TensorEntry e = tensors.get(name);
        if (e == null) {
            throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
        }
        return e;
    }

    /**
     * Reads one floating-point tensor into a new NDArray of {@code computeType} (FLOAT32 or FLOAT16) owned by
     * {@code manager}. The tensor is allocated once natively and filled chunk by chunk.
     */
    public NDArray read(String name, NDManager manager, DataType computeType) {
        return read(entry(name), manager, computeType);
    }

    public synchronized NDArray read(TensorEntry entry, NDManager manager, DataType computeType) {
        if (!entry.type().isFloatingPoint()) {
            throw new IllegalArgumentException(entry.name() + ": expected a floating-point tensor, found " + entry.type());
        }
        if (computeType == DataType.BFLOAT16) {
            return readBFloat16(entry, manager);
        }
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute type must be FLOAT32, FLOAT16 or BFLOAT16, got " + computeType);
        }
        Shape shape = new Shape(entry.shape());
        long rows = shape.dimension() == 0 ? 1 : shape.get(0);
        long rowElements = rows == 0 ? 0 : entry.elementCount() / rows;
        long rowBytes = Math.max(1, rowElements * entry.type().bytes());
        long rowsPerChunk = Math.max(1, chunkBytes / rowBytes);
        NDArray target = manager.create(shape, computeType);
        if (entry.elementCount() == 0) {
            return target;
        }
        ByteBuffer source = sourceBuffer((int) (Math.min(rows, rowsPerChunk) * rowBytes));
        ByteBuffer widened = entry.type() == StoredType.F32 ? source
                : widenedBuffer((int) (Math.min(rows, rowsPerChunk) * rowElements * 4));
        try {
            for (long row = 0; row < rows; row += rowsPerChunk) {
                long chunkRows = Math.min(rowsPerChunk, rows - row);
                int chunkBytes = (int) (chunkRows * rowBytes);
                source.clear().limit(chunkBytes);
                readFully(channel, source, entry.begin() + row * rowBytes);
                source.flip();
                int elements = (int) (chunkRows * rowElements);
                widenToFloat(entry.type(), source, widened, elements);
                long[] chunkDims = entry.shape().clone();
                if (chunkDims.length > 0) {
                    chunkDims[0] = chunkRows;
                }
                try (NDManager chunkScope = manager.newSubManager()) {
                    NDArray chunk = chunkScope.create(widened.duplicate().position(0).limit(elements * 4),
                            new Shape(chunkDims), DataType.FLOAT32);
                    if (computeType != DataType.FLOAT32) {
                        chunk = chunk.toType(computeType, false);
                    }
                    if (shape.dimension() == 0) {
                        target.close();
                        target = chunk.duplicate();
                        target.attach(manager);
                    } else {
                        target.set(new NDIndex(row + ":" + (row + chunkRows)), chunk);
                    }
                }
            }
        } catch (IOException e) {
            target.close();
            throw new UncheckedIOException(path + ": reading " + entry.name() + ": " + e.getMessage(), e);
        }
        return target;
    }

    /**
     * A bf16 tensor (native library required: DJL 0.36 has no bf16 type). A BF16 entry's bytes go to the device as
     * they are, chunk by chunk, in an fp16 array that is then viewed as bf16: no fp32 copy of any weight, on the
     * host or the device. F32/F16 entries are read as fp32 and cast, one tensor at a time.
     */
    private NDArray readBFloat16(TensorEntry entry, NDManager manager) {
        if (!dev.tooltune.model.kernels.Kernels.available()) {
            throw new IllegalArgumentException("bf16 weights need the native library ("
                    + dev.tooltune.model.kernels.Kernels.LIBRARY_PROPERTY + "): DJL 0.36 has no bf16 type");
        }
        if (entry.type() != StoredType.BF16) {
            NDArray wide = read(entry, manager, DataType.FLOAT32);
            NDArray bf16 = dev.tooltune.model.kernels.Kernels.toBFloat16(wide);
            wide.close();
            return bf16;
        }
        Shape shape = new Shape(entry.shape());
        long rows = shape.dimension() == 0 ? 1 : shape.get(0);
        long rowBytes = Math.max(1, rows == 0 ? 0 : entry.elementCount() / rows * 2);
        long rowsPerChunk = Math.max(1, chunkBytes / rowBytes);
        NDArray bits = manager.create(shape, DataType.FLOAT16);    // holds the bf16 bit patterns, never read as fp16
        ByteBuffer source = sourceBuffer((int) (Math.min(rows, rowsPerChunk) * rowBytes));
        try {
            for (long row = 0; row < rows && entry.elementCount() > 0; row += rowsPerChunk) {
                long chunkRows = Math.min(rowsPerChunk, rows - row);
                source.clear().limit((int) (chunkRows * rowBytes));
                readFully(channel, source, entry.begin() + row * rowBytes);
                source.flip();
                long[] chunkDims = entry.shape().clone();
                if (chunkDims.length > 0) {
                    chunkDims[0] = chunkRows;
                }
                try (NDManager chunkScope = manager.newSubManager()) {
                    NDArray chunk = chunkScope.create(source.duplicate(), new Shape(chunkDims), DataType.FLOAT16);
                    if (shape.dimension() == 0) {
                        bits.close();
                        bits = chunk.duplicate();
                        bits.attach(manager);
                    } else {
                        bits.set(new NDIndex(row + ":" + (row + chunkRows)), chunk);
                    }
                }
            }
        } catch (IOException e) {
            bits.close();
            throw new UncheckedIOException(path + ": reading " + entry.name() + ": " + e.getMessage(), e);
        }
        NDArray bf16 = dev.tooltune.model.kernels.Kernels.viewAsBFloat16(bits);
        bits.close();   // the view keeps the storage
        return bf16;
    }

    // Reused across tensors so a whole checkpoint load churns two chunk-sized direct buffers, not one per tensor.
    private ByteBuffer sourceChunk;
    private ByteBuffer widenedChunk;

    private ByteBuffer sourceBuffer(int bytes) {
        if (sourceChunk == null || sourceChunk.capacity() < bytes) {
            sourceChunk = ByteBuffer.allocateDirect(bytes);
        }
        return sourceChunk.clear().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer widenedBuffer(int bytes) {
        if (widenedChunk == null || widenedChunk.capacity() < bytes) {
            widenedChunk = ByteBuffer.allocateDirect(bytes);
        }
        return widenedChunk.clear().order(ByteOrder.nativeOrder());
    }

    /** A small tensor as Java floats (tests, norms); widened from bf16/fp16 like {@link #read}. */
    public float[] readFloats(String name) {
        TensorEntry entry = entry(name);
        long count = entry.elementCount();
        if (count * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " is too large for a Java array");
        }
        ByteBuffer source = ByteBuffer.allocate((int) entry.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        try {
            readFully(channel, source, entry.begin());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        source.flip();
        ByteBuffer widened = ByteBuffer.allocate((int) count * 4).order(ByteOrder.nativeOrder());
        widenToFloat(entry.type(), source, widened, (int) count);
        float[] out = new float[(int) count];
        widened.asFloatBuffer().get(out);
        return out;
    }

    /** Writes {@code elements} fp32 values into {@code out} (from position 0); F32 input is already in place. */
    static void widenToFloat(StoredType type, ByteBuffer source, ByteBuffer out, int elements) {
        switch (type) {
            case F32 -> {
                if (source != out) {
                    FloatBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                    FloatBuffer dst = out.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
                    for (int i = 0; i < elements; i++) {
                        dst.put(i, src.get(i));
                    }
                } else if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                    throw new UnsupportedOperationException("big-endian hosts are not supported");
                }
            }
            case BF16 -> {
                // bfloat16 is the upper half of an IEEE float32: widening is a 16-bit shift, exact.
                ShortBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
                java.nio.IntBuffer dst = out.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
                for (int i = 0; i < elements; i++) {
                    dst.put(i, (src.get(i) & 0xffff) << 16);
                }
            }
            case F16 -> {
                ShortBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
                FloatBuffer dst = out.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (int i = 0; i < elements; i++) {
                    dst.put(i, HALF_TO_FLOAT[src.get(i) & 0xffff]);
                }
            }
            default -> throw new IllegalArgumentException("cannot widen " + type + " to float");
        }
    }

    /** Every IEEE half value widened exactly (Java 17 has no Float.float16ToFloat). */
    private static float[] halfTable() {
        float[] table = new float[1 << 16];
        for (int h = 0; h < table.length; h++) {
            int sign = (h >>> 15) & 1;
            int exponent = (h >>> 10) & 0x1f;
            int mantissa = h & 0x3ff;
            float magnitude;
            if (exponent == 0) {
                magnitude = mantissa * 0x1p-24f;
            } else if (exponent == 31) {
                magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
            } else {
                magnitude = Float.intBitsToFloat(((exponent - 15 + 127) << 23) | (mantissa << 13));
            }
            table[h] = sign == 1 ? -magnitude : magnitude;
        }
        return table;
    }

    static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
