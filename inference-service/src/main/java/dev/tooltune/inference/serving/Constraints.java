package dev.tooltune.inference.serving;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Which {@link ConstraintFactory} the service uses: none until module tool-grammar is merged. */
@ApplicationScoped
public class Constraints {

    @Produces
    @jakarta.inject.Singleton
    ConstraintFactory factory() {
        return ConstraintFactory.NONE;
    }
}
