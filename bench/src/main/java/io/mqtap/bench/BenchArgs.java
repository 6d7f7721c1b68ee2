package io.mqtap.bench;

import java.util.Locale;
import net.sourceforge.argparse4j.ArgumentParsers;
import net.sourceforge.argparse4j.inf.ArgumentParser;

/**
 * Every benchmark's command line goes through argparse4j: {@code --help}, and a missing or bad value named with the
 * usage (then exit), instead of an index error. Use {@code parser.parseArgsOrFail(args)}.
 */
public final class BenchArgs {
    private BenchArgs() {}

    /** A parser for {@code ./mqtap bench <name>}. */
    public static ArgumentParser parser(String name, String description) {
        return ArgumentParsers.newFor("./mqtap bench " + name).locale(Locale.ROOT).terminalWidthDetection(false)
                .defaultFormatWidth(110).build().description(description);
    }
}
