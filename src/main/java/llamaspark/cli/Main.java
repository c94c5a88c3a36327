package llamaspark.cli;

import llamaspark.BadInputException;
import llamaspark.ClassArchive;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code jobs/llamaspark}: one subcommand per task. */
@Command(name = "llamaspark", mixinStandardHelpOptions = true, version = "llamaspark 0.1.0",
        description = "Batched Llama generation, token-exact against llama2.c, with the study's stage profile.",
        subcommands = {GenerateCommand.class, BatchCommand.class, BenchCommand.class, MakeCheckpointCommand.class, ReportCommand.class,
                TokenizeCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        int status = run(args);
        ClassArchive.runEnded(status);
        System.exit(status);
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // Bad files and parameters are the user's to fix: print the message, not a stack trace.
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof BadInputException) {
                cmd.getErr().println("llamaspark: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }
}
