using System.CommandLine;
using Herald.Cli.Hosting;

namespace Herald.Cli.Commands;

/// <summary>The <c>herald serve</c> options that set timings (kept apart from the other serve options).</summary>
internal sealed class ServeTimingOptions
{
    private static readonly ServeTimings Defaults = new();

    private readonly Option<string> _keepAlive = new("--keep-alive")
    {
        Description = "How often an idle stream gets a ': keep-alive' comment, so that proxies keep it open and clients see it is alive: " +
            $"{DurationParser.Usage} [default: {DurationParser.Format(Defaults.KeepAlive)}]",
        HelpName = "DURATION",
        DefaultValueFactory = _ => DurationParser.Format(Defaults.KeepAlive),
    };

    private readonly Option<string> _runnerLease = new("--runner-lease")
    {
        Description = "How long the lease on a running task lasts without renewal (renewed every third of it while the agent runs); " +
            "a task whose runner stopped renewing (a crash) is failed with a reason once its lease has expired: " +
            $"{DurationParser.Usage} [default: {DurationParser.Format(Defaults.RunnerLease)}]",
        HelpName = "DURATION",
        DefaultValueFactory = _ => DurationParser.Format(Defaults.RunnerLease),
    };

    private readonly Option<string> _maintenanceInterval = new("--maintenance-interval")
    {
        Description = "How often ended tasks past --retention are deleted and tasks whose runner lease expired are failed: " +
            $"{DurationParser.Usage} [default: {DurationParser.Format(Defaults.MaintenanceInterval)}]",
        HelpName = "DURATION",
        DefaultValueFactory = _ => DurationParser.Format(Defaults.MaintenanceInterval),
    };

    public void AddTo(Command serve)
    {
        ArgumentNullException.ThrowIfNull(serve);
        foreach (var option in new[] { _keepAlive, _runnerLease, _maintenanceInterval })
        {
            serve.Options.Add(option);
            option.Validators.Add(r =>
            {
                var text = r.Tokens is { Count: > 0 } tokens ? tokens[^1].Value : null;
                if (text is not null && (!DurationParser.TryParse(text, out var duration) || duration <= TimeSpan.Zero))
                {
                    r.AddError($"{option.Name} '{text}' is not a positive duration: use {DurationParser.Usage}.");
                }
            });
        }
    }

    public ServeTimings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new ServeTimings
        {
            KeepAlive = Parse(parseResult.GetValue(_keepAlive), Defaults.KeepAlive),
            RunnerLease = Parse(parseResult.GetValue(_runnerLease), Defaults.RunnerLease),
            MaintenanceInterval = Parse(parseResult.GetValue(_maintenanceInterval), Defaults.MaintenanceInterval),
        };
    }

    private static TimeSpan Parse(string? text, TimeSpan fallback) => DurationParser.TryParse(text, out var duration) ? duration : fallback;
}
