package io.mqtap.registry;

import java.util.List;

/** The registry's verdict on a candidate schema; {@code messages} are its reasons when it is not compatible. */
public record CompatibilityResult(boolean compatible, List<String> messages) {
    public CompatibilityResult {
        messages = List.copyOf(messages);
    }
}
