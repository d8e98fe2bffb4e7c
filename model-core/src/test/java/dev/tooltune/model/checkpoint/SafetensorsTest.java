package dev.tooltune.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    /** Writes a safetensors file by hand (independent of SafetensorsWriter) from raw little-endian payloads. */
    static void writeRaw(Path file, Map<String, Object[]> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        List<byte[]> payloads = new java.util.ArrayList<>();
        for (Map.Entry<String, Object[]> e : tensors.entrySet()) {
            String dtype = (String) e.getValue()[0];
            long[] shape = (long[]) e.getValue()[1];
            byte[] data = (byte[]) e.getValue()[2];
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":")
                    .append(java.util.Arrays.toString(shape).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(offset).append(',').append(offset + data.length).append("]}");
            offset += data.length;
            payloads.add(data);
        }
        header.append('}');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate((int) (8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h);
        payloads.forEach(out::put);
        Files.write(file, out.array());
    }

    static byte[] bf16(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort((short) (Float.floatToIntBits(v) >>> 16));
        }
        return b.array();
    }

    static byte[] f16(short... bits) {
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : bits) {
            b.putShort(v);
        }
        return b.array();
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    @Test
    void readsBf16Fp16Fp32IntoFp32(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.safetensors");
        Map<String, Object[]> tensors = new LinkedHashMap<>();
        // bf16 values exactly representable: 1.5, -2, 0.0078125, 3.140625
        tensors.put("a", new Object[] {"BF16", new long[] {2, 2}, bf16(1.5f, -2f, 0.0078125f, 3.140625f)});
        // fp16 bit patterns: 1.0 (0x3c00), -0.5 (0xb800), 65504 (0x7bff), smallest subnormal (0x0001)
        tensors.put("b", new Object[] {"F16", new long[] {4}, f16((short) 0x3c00, (short) 0xb800, (short) 0x7bff, (short) 1)});
        tensors.put("c", new Object[] {"F32", new long[] {3}, f32(0.1f, -7.25f, 1e-30f)});
        writeRaw(file, tensors);
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(st.tensors().keySet()));
            NDArray a = st.read("a", m, DataType.FLOAT32);
            assertEquals(new Shape(2, 2), a.getShape());
            assertArrayEquals(new float[] {1.5f, -2f, 0.0078125f, 3.140625f}, a.toFloatArray());
            assertArrayEquals(new float[] {1f, -0.5f, 65504f, 0x1p-24f}, st.read("b", m, DataType.FLOAT32).toFloatArray());
            assertArrayEquals(new float[] {0.1f, -7.25f, 1e-30f}, st.read("c", m, DataType.FLOAT32).toFloatArray());
            NDArray half = st.read("a", m, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(new float[] {1.5f, -2f, 0.0078125f, 3.140625f}, half.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void largeTensorsAreStreamedInChunks(@TempDir Path dir) throws Exception {
        // more rows than one chunk holds: checks chunk boundaries land on the right rows
        int saved = SafetensorsFile.chunkBytes;
        SafetensorsFile.chunkBytes = 3 * 2 * 64; // three bf16 rows of 64 per chunk
        int rows = 3 * 5 + 2;
        float[] values = new float[rows * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 255) - 127; // integers below 256 are exact in bf16
        }
        Path file = dir.resolve("big.safetensors");
        writeRaw(file, Map.of("w", new Object[] {"BF16", new long[] {rows, 64}, bf16(values)}));
        try (SafetensorsFile st = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertArrayEquals(values, st.read("w", m, DataType.FLOAT32).toFloatArray());
        } finally {
            SafetensorsFile.chunkBytes = saved;
        }
    }

    @Test
    void writerRoundTripsF32AndBf16(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("x.weight", m.randomNormal(new Shape(5, 7)));
            tensors.put("y", m.create(new float[] {1f, 2.5f, -3f}));
            Path f32 = dir.resolve("f32.safetensors");
            SafetensorsWriter.write(f32, tensors);
            Path bf = dir.resolve("bf16.safetensors");
            SafetensorsWriter.write(bf, tensors, StoredType.BF16, Map.of("format", "pt"));
            try (SafetensorsFile a = SafetensorsFile.open(f32); SafetensorsFile b = SafetensorsFile.open(bf)) {
                assertEquals("pt", a.metadata().get("format"));
                assertArrayEquals(tensors.get("x.weight").toFloatArray(), a.readFloats("x.weight"));
                assertEquals(StoredType.BF16, b.entry("x.weight").type());
                float[] original = tensors.get("x.weight").toFloatArray();
                float[] rounded = b.readFloats("x.weight");
                for (int i = 0; i < original.length; i++) {
                    assertEquals(original[i], rounded[i], Math.abs(original[i]) / 256 + 1e-30, "element " + i);
                }
                assertArrayEquals(new float[] {1f, 2.5f, -3f}, b.readFloats("y"));
            }
            assertFalse(Files.exists(dir.resolve("f32.safetensors.partial")));
        }
    }

    @Test
    void bf16RoundingIsNearestEven() {
        assertEquals((short) 0x3f80, SafetensorsWriter.toBfloat16(1.0f));
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to the even mantissa (1.0)
        assertEquals((short) 0x3f80, SafetensorsWriter.toBfloat16(Float.intBitsToFloat(0x3f808000)));
        assertEquals((short) 0x3f82, SafetensorsWriter.toBfloat16(Float.intBitsToFloat(0x3f818000)));
        assertEquals((short) 0x3f81, SafetensorsWriter.toBfloat16(Float.intBitsToFloat(0x3f808001)));
    }

    @Test
    void corruptFilesGiveClearErrors(@TempDir Path dir) throws Exception {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(tiny)).getMessage()
                .contains("not a safetensors file"));
        Path truncated = dir.resolve("truncated.safetensors");
        writeRaw(truncated, Map.of("w", new Object[] {"F32", new long[] {4}, f32(1, 2, 3, 4)}));
        byte[] bytes = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        String message = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(truncated)).getMessage();
        assertTrue(message.contains("'w'") && message.contains("truncated"), message);
        Path wrongSize = dir.resolve("wrong.safetensors");
        writeRaw(wrongSize, Map.of("w", new Object[] {"F32", new long[] {5}, f32(1, 2, 3, 4)}));
        message = assertThrows(IllegalArgumentException.class, () -> SafetensorsFile.open(wrongSize)).getMessage();
        assertTrue(message.contains("do not match"), message);
    }

    @Test
    void textModelNamesFromBothArchitectures() {
        assertEquals("model.layers.0.self_attn.q_proj.weight",
                Checkpoint.textModelName("model.layers.0.self_attn.q_proj.weight"));
        assertEquals("model.layers.0.self_attn.q_proj.weight",
                Checkpoint.textModelName("language_model.model.layers.0.self_attn.q_proj.weight"));
        assertEquals("model.embed_tokens.weight", Checkpoint.textModelName("model.language_model.embed_tokens.weight"));
        assertEquals("lm_head.weight", Checkpoint.textModelName("language_model.lm_head.weight"));
        assertEquals("lm_head.weight", Checkpoint.textModelName("lm_head.weight"));
        assertNull(Checkpoint.textModelName("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"));
        assertNull(Checkpoint.textModelName("model.vision_tower.vision_model.embeddings.patch_embedding.weight"));
        assertNull(Checkpoint.textModelName("multi_modal_projector.mm_input_projection_weight"));
        assertNull(Checkpoint.textModelName("model.multi_modal_projector.mm_soft_emb_norm.weight"));
    }

    @Test
    void shardedConditionalGenerationCheckpoint(@TempDir Path dir) throws Exception {
        writeRaw(dir.resolve("model-00001-of-00002.safetensors"), Map.of(
                "language_model.model.embed_tokens.weight", new Object[] {"BF16", new long[] {2, 2}, bf16(1, 2, 3, 4)},
                "vision_tower.vision_model.post_layernorm.weight", new Object[] {"F32", new long[] {2}, f32(9, 9)}));
        writeRaw(dir.resolve("model-00002-of-00002.safetensors"), Map.of(
                "language_model.model.norm.weight", new Object[] {"F32", new long[] {2}, f32(5, 6)}));
        SafetensorsWriter.writeIndex(dir, Map.of(
                "language_model.model.embed_tokens.weight", "model-00001-of-00002.safetensors",
                "vision_tower.vision_model.post_layernorm.weight", "model-00001-of-00002.safetensors",
                "language_model.model.norm.weight", "model-00002-of-00002.safetensors"), 28);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(java.util.Set.of("model.embed_tokens.weight", "model.norm.weight"), c.names());
            assertEquals(List.of("vision_tower.vision_model.post_layernorm.weight"), c.skipped());
            assertArrayEquals(new float[] {1, 2, 3, 4}, c.readFloats("model.embed_tokens.weight"));
            assertArrayEquals(new float[] {5, 6}, c.readFloats("model.norm.weight"));
            String message = assertThrows(IllegalArgumentException.class, () -> c.entry("lm_head.weight")).getMessage();
            assertTrue(message.contains("lm_head.weight"), message);
        }
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        String message = assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(dir)).getMessage();
        assertTrue(message.contains("model-00002-of-00002.safetensors"), message);
    }
}
