package dev.tooltune.internalauth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What every service's internal callers are held to (the services' own tests drive it over HTTP): unset or blank is
 * development, where everyone is trusted; set, only the exact token passes.
 */
class InternalTokenTest {

    @Test
    void unsetOrBlankTrustsEveryCaller() {
        for (Optional<String> configured : java.util.List.of(Optional.<String>empty(), Optional.of(""), Optional.of("  "))) {
            InternalToken token = token(configured);
            assertFalse(token.required(), "configured " + configured);
            assertTrue(token.accepts(null) && token.accepts("") && token.accepts("anything"), "configured " + configured);
        }
    }

    @Test
    void setAcceptsTheExactTokenOnly() {
        InternalToken token = token(Optional.of("s3cret"));
        assertTrue(token.required());
        assertTrue(token.accepts("s3cret"));
        for (String wrong : new String[] {null, "", "s3cre", "s3cret ", "S3CRET", "s3cretx"}) {
            assertFalse(token.accepts(wrong), "accepted " + wrong);
        }
    }

    private static InternalToken token(Optional<String> configured) {
        InternalToken token = new InternalToken();
        token.configured = configured;
        return token;
    }
}
