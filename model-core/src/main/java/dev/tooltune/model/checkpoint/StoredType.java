package dev.tooltune.model.checkpoint;

/** Element types a safetensors file may hold that Gemma checkpoints use. */
public enum StoredType {
    F32(4), F16(2), BF16(2), I64(8), I32(4), U8(1), I8(1), BOOL(1);

    private final int bytes;

    StoredType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16;
    }

    static StoredType parse(String name, String tensor) {
        try {
            return StoredType.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + tensor + "' has dtype " + name
                    + ", which is not supported (F32, F16, BF16, I64, I32, U8, I8, BOOL)");
        }
    }
}
