package dev.tooltune.model.layers;

/**
 * A named slot holding one of the model's linear projections, e.g. {@code model.layers.3.self_attn.q_proj}
 * (Hugging Face's module name). LoRA and QLoRA swap what a slot holds; the forward pass reads it each call.
 */
public final class Projection {
    private final String name;
    private Linear linear;

    public Projection(String name, Linear linear) {
        this.name = name;
        this.linear = linear;
    }

    public String name() {
        return name;
    }

    public Linear get() {
        return linear;
    }

    public void set(Linear linear) {
        this.linear = linear;
    }

    /** The short module name PEFT matches against {@code target_modules}: "q_proj", "down_proj", ... */
    public String moduleName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
