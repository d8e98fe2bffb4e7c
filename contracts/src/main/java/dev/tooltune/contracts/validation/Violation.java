package dev.tooltune.contracts.validation;

/**
 * One problem with a message: the field, as a JSON path from the message root (for example
 * {@code hyperparameters.learningRate} or {@code lora.targetModules[2]}), and what is wrong with it.
 */
public record Violation(String field, String problem) {

    @Override
    public String toString() {
        return field + ": " + problem;
    }
}
