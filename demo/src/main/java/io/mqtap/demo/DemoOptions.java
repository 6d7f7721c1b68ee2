package io.mqtap.demo;

/** The demo's command line: {@code [--duration <seconds>] [--json] [--generate|--no-generate] [--rate <calls/s>]}. */
record DemoOptions(long durationSeconds, boolean json, boolean generate, int rate) {

    static DemoOptions parse(String... args) {
        long duration = 0;
        boolean json = false;
        boolean generate = true;
        int rate = 50;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--duration" -> duration = positive("--duration", value(args, ++i));
                case "--json" -> json = true;
                case "--generate" -> generate = true;
                case "--no-generate" -> generate = false;
                case "--rate" -> rate = (int) positive("--rate", value(args, ++i));
                case "-h", "--help" -> throw new IllegalArgumentException(usage());
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + usage());
            }
        }
        return new DemoOptions(duration, json, generate, rate);
    }

    static String usage() {
        return """
                usage: ./mqtap demo [--duration <seconds>] [--json] [--no-generate] [--rate <calls/s>]
                  --duration S     stop by itself after S seconds (default: run until Ctrl-C)
                  --json           print each record read back from Kafka as one JSON line on stdout, nothing else
                  --no-generate    do not run the built-in generator of mq_open calls (default: on)
                  --rate R         generator calls per second (default 50)""";
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + usage());
        return args[i];
    }

    private static long positive(String opt, String v) {
        try {
            long n = Long.parseLong(v);
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(opt + " takes a positive whole number, not '" + v + "'");
    }
}
