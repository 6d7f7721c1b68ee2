package io.mqtap.demo;

import java.util.Locale;
import net.sourceforge.argparse4j.ArgumentParsers;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.ArgumentParserException;
import net.sourceforge.argparse4j.inf.ArgumentType;
import net.sourceforge.argparse4j.inf.Namespace;

/** The demo's command line: {@code [--duration <seconds>] [--json] [--generate|--no-generate] [--rate <calls/s>]}. */
record DemoOptions(long durationSeconds, boolean json, boolean generate, int rate) {

    static DemoOptions parse(String... args) {
        ArgumentParser parser = parser();
        try {
            Namespace ns = parser.parseArgs(args);
            if (ns.getBoolean("help")) throw new IllegalArgumentException(parser.formatHelp());
            return new DemoOptions(ns.getLong("duration"), ns.getBoolean("json"), ns.getBoolean("generate"),
                    (int) (long) ns.getLong("rate"));
        } catch (ArgumentParserException e) {
            // the caller prints the message and exits 2
            throw new IllegalArgumentException(e.getMessage() + "\n" + parser.formatUsage(), e);
        }
    }

    static ArgumentParser parser() {
        // -h is ours, not argparse4j's: it would print the help itself before the caller does
        ArgumentParser p = ArgumentParsers.newFor("./mqtap demo").addHelp(false).locale(Locale.ROOT)
                .terminalWidthDetection(false).defaultFormatWidth(110).build()
                .description("live mq_open events through a local Kafka and Schema Registry");
        p.addArgument("-h", "--help").action(Arguments.storeTrue()).help("show this help and exit");
        p.addArgument("--duration").metavar("S").type(positive(Integer.MAX_VALUE)).setDefault(0L)
                .help("stop by itself after S seconds (default: run until Ctrl-C)");
        p.addArgument("--json").action(Arguments.storeTrue())
                .help("print each record read back from Kafka as one JSON line on stdout, nothing else");
        p.addArgument("--generate").dest("generate").action(Arguments.storeTrue()).setDefault(true)
                .help("run the built-in generator of mq_open calls (the default)");
        p.addArgument("--no-generate").dest("generate").action(Arguments.storeFalse())
                .help("do not run the built-in generator");
        p.addArgument("--rate").metavar("R").type(positive(Integer.MAX_VALUE)).setDefault(50L)
                .help("generator calls per second (default 50)");
        return p;
    }

    /** A whole number from 1 to max, or an error naming the option and the value. */
    private static ArgumentType<Long> positive(long max) {
        return (parser, arg, value) -> {
            try {
                long n = Long.parseLong(value);
                if (n > 0 && n <= max) return n;
            } catch (NumberFormatException e) {
                // the message below says what is wanted
            }
            throw new ArgumentParserException(arg.textualName() + " takes a positive whole number, not '" + value + "'", parser);
        };
    }
}
