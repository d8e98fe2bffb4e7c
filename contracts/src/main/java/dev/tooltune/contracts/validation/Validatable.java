package dev.tooltune.contracts.validation;

/** A message, or a part of one, that can report every problem it has rather than only the first. */
public interface Validatable {

    /** Adds a violation to {@code violations} for each field that breaks the contract. */
    void validate(Violations violations);
}
