package dev.tooltune.contracts;

import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * The model a job fine-tunes, or an adapter was trained on.
 *
 * @param id       a Hugging Face Hub id such as {@code google/gemma-3-1b-it}, or a path (or {@code file:} URI) of a
 *                 local model directory that the trainer and inference service can both read
 * @param revision the exact weights: a Hub commit sha, a tag or branch; optional in a job (absent: the Hub's
 *                 default branch, or the directory as it is), required in an adapter (what it was trained on)
 */
public record BaseModel(String id, String revision) implements Validatable {

    @Override
    public void validate(Violations violations) {
        if (violations.required("id", id)) {
            violations.maxLength("id", id, 1024);
        }
        violations.maxLength("revision", revision, 256);
        violations.check(revision == null || !revision.isBlank(), "revision", "must not be blank when present");
    }
}
