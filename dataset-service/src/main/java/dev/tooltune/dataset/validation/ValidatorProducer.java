package dev.tooltune.dataset.validation;

import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.dataset.config.DatasetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** One shared validator (and so one schema cache) for the service, configured by {@code tooltune.dataset.limits}. */
@ApplicationScoped
public class ValidatorProducer {

    @Produces
    @ApplicationScoped
    ExampleValidator validator(DatasetConfig config) {
        return new ExampleValidator(ValidationLimits.from(config.limits()), new ToolSchemas());
    }
}
