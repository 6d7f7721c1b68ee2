package io.mqtap.producer;

import java.util.concurrent.CompletableFuture;

/** The service as the in-JVM tests run it: a fatal problem is recorded for the test instead of exiting the JVM. */
public class TestMqTapApplication extends MqTapApplication {
    final CompletableFuture<String> fatal = new CompletableFuture<>();

    @Override
    protected void fatal(String why) {
        fatal.complete(why);
    }
}
