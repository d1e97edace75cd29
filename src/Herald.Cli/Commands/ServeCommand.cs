using System.CommandLine;
using Herald.Cli.Agents;
using Herald.Cli.Hosting;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Herald.Server.Storage;
using Herald.Storage.Postgres;
using Herald.Storage.Sqlite;
using Herald.Server.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Herald.Cli.Commands;

/// <summary>The demo agents <c>herald serve</c> can host.</summary>
internal enum DemoAgent
{
    Echo,
    Chunks,
    Exec,
}

/// <summary>What a <c>herald serve</c> process does (<c>--role</c>).</summary>
internal enum ServeRole
{
    /// <summary>Accepts, streams and answers, and runs agents (one process does everything).</summary>
    All,

    /// <summary>Accepts, streams and answers, but never runs an agent: every run waits in the store for a worker.</summary>
    Api,

    /// <summary>Serves no A2A endpoint (only <c>/healthz</c>): claims runs from the store and runs them.</summary>
    Worker,
}

/// <summary>What <c>herald serve</c> was asked to do.</summary>
/// <param name="Urls">Where to listen.</param>
/// <param name="Agent">The demo agent.</param>
/// <param name="Command">The exec agent's command.</param>
/// <param name="Verbose">Log at information level.</param>
/// <param name="Store">"memory", a PostgreSQL URL or connection string, or the SQLite database file (<see cref="StoreLocation"/>).</param>
/// <param name="Retention">How long ended tasks are kept; null keeps them forever.</param>
internal sealed record ServeSettings(
    string Urls,
    DemoAgent Agent,
    ExecCommand? Command = null,
    bool Verbose = false,
    string Store = ServeCommand.DefaultStore,
    TimeSpan? Retention = null)
{
    /// <summary>Where clients reach the server when that is not where it listens (a proxy, a port mapping): the card's URLs.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>The OTLP/HTTP collector traces and metrics are exported to (<c>--otlp</c>), or null.</summary>
    public Uri? Otlp { get; init; }

    /// <summary>Serve a Prometheus scrape endpoint at <c>/metrics</c> (<c>--metrics</c>).</summary>
    public bool Metrics { get; init; }

    /// <summary>The gRPC URL the card lists when it is not the listening address (<c>--grpc-public-url</c>).</summary>
    public Uri? GrpcPublicUrl { get; init; }

    public string AgentName => Agent.ToString().ToLowerInvariant();

    /// <summary>The store <see cref="Store"/> names (the command line refuses values that name none).</summary>
    public StoreLocation StoreLocation => StoreLocation.TryParse(Store, out var location, out var error)
        ? location!
        : throw new ArgumentException(error, nameof(Store));

    public bool InMemory => StoreLocation.Kind == StoreKind.Memory;

    /// <summary>How the startup line names the store: "memory", the database's full path, or the PostgreSQL server and database.</summary>
    public string StoreDescription => StoreLocation.Description;

    /// <summary>Connection, timeout and exec limits (<see cref="ServeLimitOptions"/>).</summary>
    public ServeLimits Limits { get; init; } = new();

    /// <summary>Keep-alive, runner lease and maintenance timings (<see cref="ServeTimingOptions"/>).</summary>
    public ServeTimings Timings { get; init; } = new();

    /// <summary>The gRPC addresses (<c>--grpc-urls</c>): null for the default next to <see cref="Urls"/>, <c>off</c> for none.</summary>
    public string? GrpcUrls { get; init; }

    /// <summary>Whether this process accepts messages, runs agents, or both (<c>--role</c>).</summary>
    public ServeRole Role { get; init; } = ServeRole.All;

    /// <summary>Most agent runs in flight in this process (<c>--max-runs</c>); null for no limit.</summary>
    public int? MaxRuns { get; init; }

    /// <summary>A PEM private key file (EC P-256 or RSA) that signs the agent card (<c>--sign-card</c>), or null.</summary>
    public string? SignCardKey { get; init; }

    /// <summary>How callers authenticate (<c>--auth bearer</c>, <c>--api-key-file</c>); by default they need not.</summary>
    public ServeAuthentication Authentication { get; init; } = new();

    /// <summary>A PEM private key file that signs push notification deliveries (<c>--push-signing-key</c>); null signs them with the card key, if any.</summary>
    public string? PushSigningKey { get; init; }

    /// <summary>Webhook hosts, addresses and CIDR ranges the SSRF guard admits (<c>--webhook-allow</c>).</summary>
    public IReadOnlyList<string> WebhookAllow { get; init; } = [];
}

/// <summary>A setting of <c>herald serve</c> that cannot be honoured (the store cannot be opened); its message is for the user.</summary>
internal sealed class ServeSetupException(string message, Exception inner) : Exception(message, inner);

/// <summary><c>herald serve</c>: hosts a demo agent over A2A on Kestrel.</summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:5077";

    /// <summary>The SQLite database in the working directory: tasks survive restarts unless asked otherwise.</summary>
    public const string DefaultStore = "herald.db";

    public const string MemoryStore = "memory";

    /// <summary>Ended tasks are kept a day unless <c>--retention</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(1);

    /// <summary>How long shutdown waits for agents to end and requests to drain.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Address(es) to listen on, separated by ';'. Port 0 picks a free port; the startup line shows the real one.",
            HelpName = "URL",
            DefaultValueFactory = _ => DefaultUrls,
        };
        var agent = new Option<string?>("--agent")
        {
            Description = "The demo agent to serve: echo (replies with your text), chunks ('N delay=MS' streams N chunks; 'ask' asks for your name), " +
                "exec (runs the command after --) [default: exec when a command is given, else echo]",
            HelpName = "echo|chunks|exec",
        };
        agent.AcceptOnlyFromAmong("echo", "chunks", "exec");
        var store = new Option<string>("--store")
        {
            Description = "Where tasks are kept: a SQLite database file (created when missing; tasks and resumable streams survive restarts), " +
                "a PostgreSQL database shared by any number of replicas (postgres://user:password@host:port/database, or Host=...;Database=...), " +
                $"or '{MemoryStore}' (lost on exit) [default: {DefaultStore} in the working directory]",
            HelpName = "PATH|postgres://...|memory",
            DefaultValueFactory = _ => DefaultStore,
        };
        var retention = new Option<string>("--retention")
        {
            Description = "How long ended (completed, failed, canceled, rejected) tasks are kept before they are deleted with their event logs: " +
                $"{DurationParser.Usage}, or 'off' to keep them forever [default: {DurationParser.Format(DefaultRetention)}]",
            HelpName = "DURATION|off",
            DefaultValueFactory = _ => DurationParser.Format(DefaultRetention),
        };
        var publicUrl = new Option<string?>("--public-url")
        {
            Description = "The URL clients reach this server at, when that is not an address it listens on (behind a proxy or load balancer, " +
                "a port mapping such as docker -p, a tunnel): the agent card's interface URLs point there. By default they point at the " +
                "listening address the request came in on.",
            HelpName = "URL",
        };
        var grpcPublicUrl = new Option<string?>("--grpc-public-url")
        {
            Description = "The URL clients reach the gRPC service at, for the agent card, when that is not its listening address. " +
                "With --public-url and without this option the card leaves gRPC out (its public address is not known).",
            HelpName = "URL",
        };
        var verbose = new Option<bool>("--verbose")
        {
            Description = "Log at information level (default: warnings only). Logs go to stderr.",
        };
        var role = new Option<string>("--role")
        {
            Description = "What this process does: all (accepts messages and runs the agent), api (accepts, streams and answers, but runs no " +
                "agent: each message waits in the store, listed as submitted, until a worker claims it), or worker (serves no A2A endpoint, " +
                "only /healthz; claims runs from the store and runs them). api and worker need a PostgreSQL store shared between them [default: all]",
            HelpName = "all|api|worker",
            DefaultValueFactory = _ => "all",
        };
        role.AcceptOnlyFromAmong("all", "api", "worker");
        var maxRuns = new Option<string?>("--max-runs")
        {
            Description = "Most agent runs in flight in this process at once. Messages accepted while all are busy wait in the store, listed as " +
                "submitted, until this or another process has a free run and claims them, oldest first [default: no limit]",
            HelpName = "N",
        };
        var signCard = new Option<string?>("--sign-card")
        {
            Description = "Sign the agent card (A2A spec 8.4: a detached JWS over the RFC 8785 canonical card, in its 'signatures') with this " +
                "unencrypted PEM private key, EC P-256 (ES256) or RSA (RS256); the public key is served at /.well-known/jwks.json, the " +
                "signature's jku. Make one with: openssl ecparam -genkey -name prime256v1 -noout -out card-key.pem",
            HelpName = "KEY.pem",
        };
        var auth = new Option<string?>("--auth")
        {
            Description = "Require callers to authenticate: bearer (a JWT in Authorization: Bearer, checked against --jwt-authority or --jwt-key). " +
                "The agent card and /healthz stay open; the card declares what is required [default: no authentication, unless --api-key-file]",
            HelpName = "bearer",
        };
        auth.AcceptOnlyFromAmong("bearer");
        var jwtAuthority = new Option<string?>("--jwt-authority")
        {
            Description = "With --auth bearer: the OpenID Connect authority (issuer URL) whose signing keys the tokens must be signed with; needs --jwt-audience.",
            HelpName = "URL",
        };
        var jwtAudience = new Option<string?>("--jwt-audience")
        {
            Description = "With --auth bearer: the audience (aud) tokens must name. Required with --jwt-authority; with --jwt-key, checked when given.",
            HelpName = "AUD",
        };
        var jwtKey = new Option<string?>("--jwt-key")
        {
            Description = "With --auth bearer: accept tokens signed (ES256) with this local EC P-256 key, a PEM file (private or public key), " +
                "as 'herald token --key FILE' creates and signs with. Works offline.",
            HelpName = "FILE",
        };
        var apiKeyFile = new Option<string?>("--api-key-file")
        {
            Description = "Require an API key in the X-API-Key header: the file holds 'principal:key' lines (blank lines and # comments ignored). " +
                "With --auth bearer, either credential is accepted.",
            HelpName = "FILE",
        };
        var pushSigningKey = new Option<string?>("--push-signing-key")
        {
            Description = "Sign each push notification delivery (a JWT in the Herald-Push-Signature header over the task id, the event's sequence " +
                "and a SHA-256 of the body) with this unencrypted PEM private key, EC P-256 (ES256) or RSA (RS256); its public key is served at " +
                "/.well-known/jwks.json. Without it, deliveries are signed with the --sign-card key when one is given.",
            HelpName = "KEY.pem",
        };
        var webhookAllow = new Option<string[]>("--webhook-allow")
        {
            Description = "Admit webhooks at this host name, IP address or CIDR range although the SSRF guard refuses them by default " +
                "(loopback, private, link-local, metadata, ...): for development and tests, e.g. --webhook-allow 127.0.0.1. Repeatable.",
            HelpName = "HOST|CIDR",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var commandLine = new Argument<string[]>("command")
        {
            Description = "For --agent exec: the command to run for each message and its arguments, after --. " +
                "It gets the message text on stdin; each stdout line is streamed as an artifact chunk.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var serve = new Command("serve",
            $"Serve a demo A2A agent (JSON-RPC at / for A2A v1.0, v0.3 and the tutorial-era tasks/send methods; HTTP+JSON/REST at /message:send, " +
            $"/tasks/{{id}}, ... for v1.0; both with SSE streaming; agent card at /.well-known/agent-card.json and /.well-known/agent.json) on {DefaultUrls} " +
            "unless --urls says otherwise. Prints 'Herald listening on <address> (agent: <name>)' once ready; Ctrl+C stops it gracefully.")
        {
            urls,
            agent,
            store,
            retention,
            publicUrl,
            grpcPublicUrl,
            verbose,
            role,
            maxRuns,
            signCard,
            auth,
            jwtAuthority,
            jwtAudience,
            jwtKey,
            apiKeyFile,
            pushSigningKey,
            webhookAllow,
            commandLine,
        };
        var limitOptions = new ServeLimitOptions();
        limitOptions.AddTo(serve);
        var timingOptions = new ServeTimingOptions();
        timingOptions.AddTo(serve);
        var grpcUrls = GrpcServing.CreateOption();
        serve.Options.Add(grpcUrls);
        var otlp = ObservabilityServing.CreateOption();
        serve.Options.Add(otlp);
        var metrics = ObservabilityServing.CreateMetricsOption();
        serve.Options.Add(metrics);

        serve.Validators.Add(result =>
        {
            // The raw token, not GetValue: an unknown name already has its own error, and GetValue would throw.
            var chosen = result.GetResult(agent)?.Tokens is { Count: > 0 } tokens ? tokens[^1].Value : null;
            var command = result.GetResult(commandLine)?.Tokens.Select(t => t.Value).ToArray() ?? [];
            if (chosen == "exec" && command.Length == 0)
            {
                result.AddError("--agent exec needs a command after --, for example: herald serve --agent exec -- /bin/sh -c 'tr a-z A-Z'");
            }
            else if (chosen is not (null or "exec") && command.Length > 0)
            {
                result.AddError($"A command after -- is only used by --agent exec, not by --agent {chosen}.");
            }

            var retentionText = result.GetResult(retention)?.Tokens is { Count: > 0 } given ? given[^1].Value : null;
            if (retentionText is not null && !IsOff(retentionText) && !DurationParser.TryParse(retentionText, out _))
            {
                result.AddError($"--retention '{retentionText}' is not a duration: use {DurationParser.Usage}, or 'off'.");
            }

            foreach (var (option, example) in new[] { (publicUrl, "https://agents.example.com/"), (grpcPublicUrl, "https://grpc.agents.example.com/") })
            {
                var text = result.GetResult(option)?.Tokens is { Count: > 0 } urlTokens ? urlTokens[^1].Value : null;
                if (text is not null && !IsHttpUrl(text))
                {
                    result.AddError($"{option.Name} '{text}' is not an absolute http or https URL, e.g. {example}.");
                }
            }

            if (ObservabilityServing.Validate(result.GetResult(otlp)?.Tokens is { Count: > 0 } otlpTokens ? otlpTokens[^1].Value : null) is { } otlpError)
            {
                result.AddError(otlpError);
            }

            var roleText = result.GetResult(role)?.Tokens is { Count: > 0 } roleTokens ? roleTokens[^1].Value : "all";
            var maxRunsText = result.GetResult(maxRuns)?.Tokens is { Count: > 0 } maxRunsTokens ? maxRunsTokens[^1].Value : null;
            if (maxRunsText is not null && ParseMaxRuns(maxRunsText) is null)
            {
                result.AddError($"--max-runs '{maxRunsText}' is not a whole number of runs from 1 to {MaxRunsLimit}.");
            }
            else if (maxRunsText is not null && roleText == "api")
            {
                result.AddError("--max-runs limits the agent runs of this process, and --role api runs none: give it to the workers.");
            }

            var storeText = result.GetResult(store)?.Tokens is { Count: > 0 } storeTokens ? storeTokens[^1].Value : null;
            if (roleText is "api" or "worker"
                && (storeText is null || !StoreLocation.TryParse(storeText, out var shared, out _) || shared!.Kind != StoreKind.Postgres))
            {
                result.AddError($"--role {roleText} needs a store shared with the other processes: a PostgreSQL database (--store postgres://...). " +
                    "A SQLite file or memory belongs to one process, so " + (roleText == "api" ? "no worker could run its tasks." : "no api process could give it work."));
            }

            string? Last(Option<string?> option) => result.GetResult(option)?.Tokens is { Count: > 0 } given ? given[^1].Value : null;
            if (ValidateAuthentication(Last(auth), Last(jwtAuthority), Last(jwtAudience), Last(jwtKey), Last(apiKeyFile)) is { } authError)
            {
                result.AddError(authError);
            }

            if (storeText is not null && string.IsNullOrWhiteSpace(storeText))
            {
                result.AddError($"--store needs {StoreLocation.Accepted}.");
            }
            else if (storeText is not null && !StoreLocation.TryParse(storeText, out _, out var storeError))
            {
                result.AddError(storeError!);
            }
        });

        serve.SetAction((parseResult, cancellationToken) =>
        {
            var command = parseResult.GetValue(commandLine) ?? [];
            var kind = parseResult.GetValue(agent) switch
            {
                "echo" => DemoAgent.Echo,
                "chunks" => DemoAgent.Chunks,
                "exec" => DemoAgent.Exec,
                _ => command.Length > 0 ? DemoAgent.Exec : DemoAgent.Echo,
            };
            var retentionText = parseResult.GetValue(retention) ?? "";
            var settings = new ServeSettings(
                parseResult.GetValue(urls) ?? DefaultUrls,
                kind,
                command.Length > 0 ? new ExecCommand(command[0], command[1..]) : null,
                parseResult.GetValue(verbose),
                parseResult.GetValue(store) ?? DefaultStore,
                IsOff(retentionText) ? null : DurationParser.TryParse(retentionText, out var kept) ? kept : DefaultRetention)
            {
                Limits = limitOptions.Read(parseResult),
                Timings = timingOptions.Read(parseResult),
                PublicUrl = parseResult.GetValue(publicUrl) is { } given ? new Uri(given) : null,
                GrpcPublicUrl = parseResult.GetValue(grpcPublicUrl) is { } grpcGiven ? new Uri(grpcGiven) : null,
                GrpcUrls = parseResult.GetValue(grpcUrls),
                Otlp = parseResult.GetValue(otlp) is { } collector ? new Uri(collector) : null,
                Metrics = parseResult.GetValue(metrics),
                Role = parseResult.GetValue(role) switch
                {
                    "api" => ServeRole.Api,
                    "worker" => ServeRole.Worker,
                    _ => ServeRole.All,
                },
                MaxRuns = parseResult.GetValue(maxRuns) is { } runs ? ParseMaxRuns(runs) : null,
                SignCardKey = parseResult.GetValue(signCard),
                Authentication = new ServeAuthentication(
                    parseResult.GetValue(jwtAuthority) is { } authority ? new Uri(authority) : null,
                    parseResult.GetValue(jwtAudience),
                    parseResult.GetValue(jwtKey),
                    parseResult.GetValue(apiKeyFile)),
                PushSigningKey = parseResult.GetValue(pushSigningKey),
                WebhookAllow = parseResult.GetValue(webhookAllow) ?? [],
            };
            var invocation = parseResult.InvocationConfiguration;
            return RunAsync(settings, invocation.Output, invocation.Error, cancellationToken);
        });
        return serve;
    }

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires or the host is told to stop (Ctrl+C, SIGTERM).</summary>
    public static async Task<int> RunAsync(ServeSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        WebApplication app;
        try
        {
            app = BuildApp(settings);
        }
        catch (ServeSetupException ex)
        {
            await error.WriteLineAsync($"herald serve: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            // A setting the engine refuses (a malformed --webhook-allow entry, ...): its message names it.
            await error.WriteLineAsync($"herald serve: {string.Join(" ", ex.Failures)}").ConfigureAwait(false);
            return 1;
        }

        await using var _ = app;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            // A setting refused at start (a malformed --api-key-file line, a --webhook-allow entry, ...): its message names it.
            await error.WriteLineAsync($"herald serve: {string.Join(" ", ex.Failures)}").ConfigureAwait(false);
            return 1;
        }
        catch (IOException ex)
        {
            // Typically "address already in use": say so without a stack trace.
            await error.WriteLineAsync($"herald serve: cannot listen on {settings.Urls}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }

        // The addresses Kestrel actually bound (with port 0, the port it picked), for people and scripts.
        var roleText = settings.Role switch
        {
            ServeRole.Api => ", role: api",
            ServeRole.Worker => ", role: worker (no A2A endpoint; /healthz only)",
            _ => "",
        };
        var capText = settings.MaxRuns is { } cap ? $", max runs: {cap}" : "";
        await output.WriteLineAsync($"Herald listening on {GrpcServing.DescribeUrls(app)} (agent: {settings.AgentName}, store: {settings.StoreDescription}{roleText}{capText})")
            .ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);

        // Stops on the token (System.CommandLine's Ctrl+C handling, or a test) or on the host's own
        // signal handling; either way the host's normal shutdown runs: Herald cancels running agents,
        // streams deliver their final event, and Kestrel drains.
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    public static WebApplication BuildApp(ServeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // Not the caller's working directory: a stray appsettings.json there must not configure the server.
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        ServeHardening.Configure(builder, settings.Limits);

        // stdout carries the startup line only (scripts read it); logs go to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true; // an A2A operation's scope: its method, binding, task id, trace and span ids
        });
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(settings.Verbose ? LogLevel.Information : LogLevel.Warning);

        var signingKey = settings.SignCardKey is { } keyFile ? ReadSigningKey(keyFile, "sign the card with --sign-card") : null;
        var pushKey = settings.PushSigningKey is { } pushKeyFile ? ReadSigningKey(pushKeyFile, "sign push notifications with --push-signing-key") : null;
        var herald = builder.Services.AddHerald(o =>
        {
            o.CardSigningKey = signingKey;
            o.PushSigningKey = pushKey;
            o.WebhookAllow = [.. settings.WebhookAllow];

            // Push notifications: configs on every binding, delivered durably from the log (the SSRF guard refuses private
            // and loopback webhooks unless --webhook-allow admits them).
            o.PushNotifications = true;
            o.Card = CardFor(settings);
            o.TaskRetention = settings.Retention;
            o.PublicBaseUrl = settings.PublicUrl;
            o.RunAgents = settings.Role != ServeRole.Api;
            o.MaxConcurrentRuns = settings.MaxRuns;
            settings.Timings.ApplyTo(o);
            settings.Limits.ApplyTo(o);
        });
        if (!settings.InMemory)
        {
            // Opened now, not on first use: a database that cannot be opened (held by another herald serve, not a
            // Herald database, unwritable) is reported before anything listens.
            TaskStore store;
            var location = settings.StoreLocation;
            try
            {
                store = location.Kind == StoreKind.Postgres ? PostgresTaskStore.Open(location.Target) : SqliteTaskStore.Open(location.Target);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
                or Npgsql.NpgsqlException or ArgumentException or TaskStoreUnavailableException)
            {
                throw new ServeSetupException($"cannot open the store {settings.StoreDescription}: {ex.Message}", ex);
            }

            herald.UseStore(_ => store);
        }

        // A worker serves no A2A endpoint, gRPC included.
        var grpc = GrpcServing.Configure(builder, settings.Role == ServeRole.Worker ? settings with { GrpcUrls = "off" } : settings, herald);
        // With gRPC on, the same checks also answer grpc.health.v1.Health (service "": all of them) on the gRPC port.
        (grpc is null ? builder.Services.AddHealthChecks() : builder.Services.AddGrpcHealthChecks()).AddHeraldStore();
        ObservabilityServing.Configure(builder, settings.Otlp, settings.Metrics);
        try
        {
            settings.Authentication.Configure(builder);
        }
        catch (InvalidDataException ex)
        {
            throw new ServeSetupException(ex.Message, ex);
        }

        switch (settings.Agent)
        {
            case DemoAgent.Echo:
                herald.AddAgent<EchoAgent>(AgentResponseMode.MessageOrTask);
                break;
            case DemoAgent.Chunks:
                herald.AddAgent<ChunksAgent>();
                break;
            case DemoAgent.Exec:
                builder.Services.AddSingleton(settings.Command
                    ?? throw new ArgumentException("The exec agent needs a command.", nameof(settings)));
                herald.AddAgent<ExecAgent>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Agent, "Unknown demo agent.");
        }

        var app = builder.Build();
        ServeHardening.Use(app);
        var protect = settings.Authentication.Required;
        if (settings.Role != ServeRole.Worker)
        {
            var a2a = app.MapHerald("/");
            if (protect)
            {
                // The card stays open (MapHerald marks it anonymous) and declares what is required.
                a2a.RequireAuthorization();
            }

            var startupLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Cli");
            if (protect)
            {
                ServeLog.Authenticated(startupLogger, settings.Authentication.Description);
            }
            else
            {
                ServeLog.Unauthenticated(startupLogger);
            }
        }

        app.MapHeraldHealthChecks("/healthz");
        ObservabilityServing.Map(app, settings.Metrics);
        if (grpc is not null)
        {
            var grpcEndpoints = app.MapHeraldGrpc();
            if (protect)
            {
                grpcEndpoints.RequireAuthorization();
            }

            app.MapGrpcHealthChecksService();
        }

        return app;
    }

    /// <summary>A <c>--sign-card</c> or <c>--push-signing-key</c> key; a file that is missing, unreadable or not a usable private key stops serve with the reason.</summary>
    private static AgentCardSigningKey ReadSigningKey(string path, string purpose)
    {
        try
        {
            return AgentCardSigningKey.FromPem(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ServeSetupException($"cannot {purpose} {path}: {ex.Message}", ex);
        }
    }

    /// <summary>The error for a combination of authentication options that cannot be honoured, or null.</summary>
    internal static string? ValidateAuthentication(string? auth, string? authority, string? audience, string? key, string? apiKeyFile)
    {
        if (auth is null)
        {
            return (authority, audience, key) switch
            {
                ({ }, _, _) => "--jwt-authority needs --auth bearer.",
                (_, _, { }) => "--jwt-key needs --auth bearer.",
                (_, { }, _) => "--jwt-audience needs --auth bearer.",
                _ => apiKeyFile is not null && string.IsNullOrWhiteSpace(apiKeyFile) ? "--api-key-file needs a file name." : null,
            };
        }

        if (auth != "bearer")
        {
            return null; // an unknown --auth value has its own error
        }

        if (authority is null == key is null)
        {
            return "--auth bearer needs either --jwt-authority URL (with --jwt-audience AUD) to accept tokens from an OpenID Connect provider, " +
                "or --jwt-key FILE to accept tokens signed with a local key (herald token --key FILE creates one and signs tokens with it), not both.";
        }

        if (authority is not null && !ServeAuthentication.IsAuthorityUrl(authority))
        {
            return $"--jwt-authority '{authority}' is not an https URL (http is accepted on a loopback address only), e.g. https://login.example.com/realm.";
        }

        if (authority is not null && string.IsNullOrWhiteSpace(audience))
        {
            return "--jwt-authority needs --jwt-audience AUD: the audience the tokens must be issued for.";
        }

        if (key is not null && !File.Exists(key))
        {
            return $"--jwt-key '{key}' does not exist (herald token --key {key} --sub NAME creates it).";
        }

        return apiKeyFile is not null && string.IsNullOrWhiteSpace(apiKeyFile) ? "--api-key-file needs a file name." : null;
    }

    /// <summary>The largest <c>--max-runs</c> accepted (a typo guard; no process runs a million agents).</summary>
    private const int MaxRunsLimit = 1_000_000;

    private static int? ParseMaxRuns(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxRunsLimit ? n : null;

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static bool IsOff(string text) => string.Equals(text.Trim(), "off", StringComparison.OrdinalIgnoreCase);

    internal static AgentCard CardFor(ServeSettings settings) => settings.Agent switch
    {
        DemoAgent.Echo => EchoAgent.Card,
        DemoAgent.Chunks => ChunksAgent.Card,
        DemoAgent.Exec => ExecAgent.CreateCard(settings.Command ?? throw new ArgumentException("The exec agent needs a command.", nameof(settings))),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Agent, "Unknown demo agent."),
    };
}
