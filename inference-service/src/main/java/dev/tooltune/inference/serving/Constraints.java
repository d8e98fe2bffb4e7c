package dev.tooltune.inference.serving;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Which {@link ConstraintFactory} the service uses: module tool-grammar's (constrained decoding). */
@ApplicationScoped
public class Constraints {

    @Produces
    @jakarta.inject.Singleton
    ConstraintFactory factory() {
        return new ToolGrammarConstraints();
    }
}
