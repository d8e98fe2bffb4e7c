package dev.tooltune.model.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Where a model runs and in which precision, parsed from configuration instead of hard-coded: device {@code cpu},
 * {@code gpu} (the first GPU), {@code gpuN} / {@code gpu:N}, or {@code auto} (the first GPU when the engine sees one,
 * else the CPU); compute type {@code float32}/{@code fp32} or {@code float16}/{@code fp16} (the types the
 * model's forward pass computes in).
 *
 * <p>{@link #fromEnvironment()} reads system property {@code tooltune.device} (env {@code TOOLTUNE_DEVICE}, default
 * {@code auto}) and {@code tooltune.dtype} (env {@code TOOLTUNE_DTYPE}, default {@code float32}).
 */
public record ModelRuntime(Device device, DataType computeType) {

    public static final String DEVICE_PROPERTY = "tooltune.device";
    public static final String DEVICE_ENV = "TOOLTUNE_DEVICE";
    public static final String DTYPE_PROPERTY = "tooltune.dtype";
    public static final String DTYPE_ENV = "TOOLTUNE_DTYPE";

    public ModelRuntime {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16 && computeType != DataType.BFLOAT16) {
            throw new IllegalArgumentException("compute type must be float32, float16 or bfloat16, got " + computeType);
        }
    }

    public static ModelRuntime cpu() {
        return new ModelRuntime(Device.cpu(), DataType.FLOAT32);
    }

    /** {@code device} and {@code dtype} as described above; null means the default (auto, float32). */
    public static ModelRuntime parse(String device, String dtype) {
        return new ModelRuntime(parseDevice(device), parseType(dtype));
    }

    /** From system properties, then environment variables, then the defaults (auto, float32). */
    public static ModelRuntime fromEnvironment() {
        return parse(setting(DEVICE_PROPERTY, DEVICE_ENV), setting(DTYPE_PROPERTY, DTYPE_ENV));
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        return value != null ? value : System.getenv(env);
    }

    public static Device parseDevice(String spec) {
        String s = spec == null || spec.isBlank() ? "auto" : spec.strip().toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return gpuCount() > 0 ? Device.gpu() : Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.startsWith("gpu") || s.startsWith("cuda")) {
            String index = s.replaceFirst("^(gpu|cuda)", "").replaceFirst("^:", "");
            int id;
            try {
                id = index.isEmpty() ? 0 : Integer.parseInt(index);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device '" + spec + "': expected cpu, gpu, gpuN, gpu:N or auto");
            }
            int gpus = gpuCount();
            if (id >= gpus) {
                throw new IllegalArgumentException("device '" + spec + "': the engine sees " + gpus + " GPU(s)");
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device '" + spec + "': expected cpu, gpu, gpuN, gpu:N or auto");
    }

    public static DataType parseType(String spec) {
        String s = spec == null || spec.isBlank() ? "float32" : spec.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "float32", "fp32", "f32" -> DataType.FLOAT32;
            case "float16", "fp16", "f16", "half" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;   // bf16 weights: needs the native library
            default -> throw new IllegalArgumentException("dtype '" + spec + "': expected float32, float16 or bfloat16");
        };
    }

    private static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    @Override
    public String toString() {
        return device + "/" + computeType.name().toLowerCase(Locale.ROOT);
    }
}
