using System.CommandLine;
using Herald.Cli.Commands;

namespace Herald.Cli;

/// <summary>The <c>herald</c> command: one subcommand per verb, each in its own file under Commands/.</summary>
internal static class HeraldCli
{
    /// <summary>
    /// How long Ctrl+C / SIGTERM waits for a command to wind down before the process exits anyway.
    /// Longer than a server's graceful shutdown (agents canceled, streams closed), so that is never cut short.
    /// </summary>
    internal static readonly TimeSpan ProcessTerminationTimeout = TimeSpan.FromSeconds(15);

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Herald: serve A2A (Agent2Agent) agents and talk to A2A servers.\n\n" + ExitCodes.Help);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(CardCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(SubscribeCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(CancelCommand.Create());
        root.Subcommands.Add(TokenCommand.Create());
        root.Subcommands.Add(PushCommand.Create());
        root.Subcommands.Add(WebhookCommand.Create());
        return root;
    }

    /// <summary>Parses and runs a command line; output and error default to the console (tests pass writers).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration
        {
            ProcessTerminationTimeout = ProcessTerminationTimeout,
        };
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return CreateRootCommand().Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}
