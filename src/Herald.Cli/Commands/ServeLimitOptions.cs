using System.CommandLine;
using Herald.Cli.Agents;
using Herald.Cli.Hosting;

namespace Herald.Cli.Commands;

/// <summary>The <c>herald serve</c> options that set limits (kept apart from the other serve options).</summary>
internal sealed class ServeLimitOptions
{
    /// <summary>Above this, shutdown (which waits 5 s for agents) would end before the SIGKILL.</summary>
    internal const double MaxKillGraceSeconds = 4;

    private static readonly ServeLimits Defaults = new();

    private readonly Option<int?> _maxConnections = new("--max-connections")
    {
        Description = "Most connections held at once. When full, the connection idle the longest is closed to make room; when all are busy, " +
            "new ones are refused. [default: derived from the open-files limit, which herald serve raises to its hard limit; --verbose logs it]",
        HelpName = "N",
    };

    private readonly Option<int> _execMaxLine = new("--exec-max-line")
    {
        Description = "For --agent exec: longest piece of a stdout line sent as one artifact chunk, in bytes; longer lines are split.",
        HelpName = "BYTES",
        DefaultValueFactory = _ => ExecAgentOptions.DefaultMaxLineBytes,
    };

    private readonly Option<double> _execOutputGrace = new("--exec-output-grace")
    {
        Description = "For --agent exec: seconds stdout and stderr are still read after the command exits " +
            "(a background child may hold them open); then the task ends.",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => ExecAgentOptions.DefaultOutputGracePeriod.TotalSeconds,
    };

    private readonly Option<double> _execKillGrace = new("--exec-kill-grace")
    {
        Description = $"For --agent exec: seconds between SIGTERM and SIGKILL for what the command left running when its task ends (at most {MaxKillGraceSeconds}).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => ExecAgentOptions.DefaultKillGracePeriod.TotalSeconds,
    };

    private readonly Option<string> _writeStallTimeout = new("--write-stall-timeout")
    {
        Description = "Longest a response write may make no progress: a client that stops reading (whatever it read before) has its " +
            $"connection aborted. Idle streams are not affected: {DurationParser.Usage} [default: {DurationParser.Format(Defaults.WriteStallTimeout)}]",
        HelpName = "DURATION",
        DefaultValueFactory = _ => DurationParser.Format(Defaults.WriteStallTimeout),
    };

    private readonly Option<long> _maxResponseBytesInFlight = new("--max-response-bytes-in-flight")
    {
        Description = "Bytes of answers being sent at once (GetTask, ListTasks, CancelTask, SendMessage results and stream snapshots); " +
            "past it a request waits briefly, then is answered busy (HTTP 503 with Retry-After, gRPC RESOURCE_EXHAUSTED).",
        HelpName = "BYTES",
        DefaultValueFactory = _ => Defaults.MaxResponseBytesInFlight,
    };

    private readonly Option<string[]> _allowOrigin = new("--allow-origin")
    {
        Description = "A web origin (scheme://host[:port]) whose pages may call this agent from a browser (CORS). Repeat for several. " +
            "[default: none: browsers refuse cross-site calls]",
        HelpName = "ORIGIN",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command serve)
    {
        ArgumentNullException.ThrowIfNull(serve);
        serve.Options.Add(_maxConnections);
        serve.Options.Add(_allowOrigin);
        _allowOrigin.Validators.Add(r =>
        {
            foreach (var origin in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || origin.EndsWith('/'))
                {
                    r.AddError($"--allow-origin '{origin}' is not an origin: use scheme://host[:port], for example https://dashboard.example.com.");
                }
            }
        });
        serve.Options.Add(_writeStallTimeout);
        serve.Options.Add(_maxResponseBytesInFlight);
        _writeStallTimeout.Validators.Add(r =>
        {
            var text = r.Tokens is { Count: > 0 } tokens ? tokens[^1].Value : null;
            if (text is not null && (!DurationParser.TryParse(text, out var duration) || duration <= TimeSpan.Zero))
            {
                r.AddError($"--write-stall-timeout '{text}' is not a positive duration: use {DurationParser.Usage}.");
            }
        });
        _maxResponseBytesInFlight.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 64 * 1024)
            {
                r.AddError("--max-response-bytes-in-flight must be at least 65536 bytes.");
            }
        });
        serve.Options.Add(_execMaxLine);
        serve.Options.Add(_execOutputGrace);
        serve.Options.Add(_execKillGrace);
        _maxConnections.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--max-connections must be at least 1.");
            }
        });
        _execMaxLine.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 16)
            {
                r.AddError("--exec-max-line must be at least 16 bytes.");
            }
        });
        _execOutputGrace.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0 or > 3600 or double.NaN)
            {
                r.AddError("--exec-output-grace must be between 0 and 3600 seconds.");
            }
        });
        _execKillGrace.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0 or > MaxKillGraceSeconds or double.NaN)
            {
                r.AddError($"--exec-kill-grace must be between 0 and {MaxKillGraceSeconds} seconds.");
            }
        });
    }

    public ServeLimits Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new ServeLimits
        {
            MaxConnections = parseResult.GetValue(_maxConnections),
            AllowedOrigins = parseResult.GetValue(_allowOrigin) ?? [],
            WriteStallTimeout = DurationParser.TryParse(parseResult.GetValue(_writeStallTimeout), out var stall) ? stall : Defaults.WriteStallTimeout,
            MaxResponseBytesInFlight = parseResult.GetValue(_maxResponseBytesInFlight),
            Exec = new ExecAgentOptions
            {
                MaxLineBytes = parseResult.GetValue(_execMaxLine),
                OutputGracePeriod = TimeSpan.FromSeconds(parseResult.GetValue(_execOutputGrace)),
                KillGracePeriod = TimeSpan.FromSeconds(parseResult.GetValue(_execKillGrace)),
            },
        };
    }
}
