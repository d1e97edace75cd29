using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Hosting;

/// <summary>What keeps <c>herald serve</c> alive under hostile clients: descriptor budget, connection limit, Kestrel timeouts.</summary>
internal static class ServeHardening
{
    /// <summary>Raises the open-files limit, and configures Kestrel and the connection governor from <paramref name="limits"/>.</summary>
    public static ConnectionBudget Configure(WebApplicationBuilder builder, ServeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(limits);
        var budget = ConnectionBudget.Resolve(limits.MaxConnections);
        builder.Services.AddSingleton(budget);
        builder.Services.AddSingleton(limits.Exec);
        if (limits.AllowedOrigins.Count > 0)
        {
            // Browsers may call the agent only from the operator's origins: a JSON POST needs a preflight, and only these pass it.
            builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. limits.AllowedOrigins])
                .WithMethods("GET", "POST")
                .WithHeaders("Content-Type", "A2A-Version", "A2A-Extensions", "Last-Event-ID", "Authorization")));
        }

        // Kestrel logs a warning per connection its own (hard) limit turns away: under a flood, one line each on
        // stderr, and a console logger whose queue is full blocks the threads that log. The governor logs a
        // summary instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.Connections", LogLevel.Error);
        builder.Services.AddSingleton(sp => new ConnectionGovernor(
            budget.MaxConnections, budget.AcceptLimit, sp.GetService<ILogger<ConnectionGovernor>>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));

        // Registered after Kestrel's own transport, so Kestrel (which prefers the last registered) binds with it.
        builder.Services.AddSingleton<IConnectionListenerFactory>(sp => new GatedListenerFactory(
            new SocketTransportFactory(sp.GetRequiredService<IOptions<SocketTransportOptions>>(), sp.GetRequiredService<ILoggerFactory>()),
            sp.GetRequiredService<ConnectionGovernor>()));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var k = kestrel.Limits;
            k.MaxConcurrentConnections = budget.KestrelMaxConnections;
            k.MaxConcurrentUpgradedConnections = budget.KestrelMaxConnections;
            k.RequestHeadersTimeout = ServeLimits.RequestHeadersTimeout;
            k.KeepAliveTimeout = ServeLimits.KeepAliveTimeout;
            k.MinRequestBodyDataRate = new MinDataRate(ServeLimits.MinDataRateBytesPerSecond, ServeLimits.MinDataRateGracePeriod);
            k.MinResponseDataRate = new MinDataRate(ServeLimits.MinResponseDataRateBytesPerSecond, ServeLimits.MinResponseDataRateGracePeriod);

            // Endpoint defaults also apply to the addresses given with --urls.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            {
                var governor = listen.ApplicationServices.GetRequiredService<ConnectionGovernor>();
                return connection => governor.OnConnectionAsync(connection, next);
            }));
        });
        return budget;
    }

    /// <summary>Adds the request side of the governor (it must see every request) and logs the budget.</summary>
    public static void Use(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var governor = app.Services.GetRequiredService<ConnectionGovernor>();
        app.Use(governor.OnRequestAsync);
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null)
        {
            app.UseCors();
        }

        var budget = app.Services.GetRequiredService<ConnectionBudget>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Cli.Serve");
        ServeLog.Budget(logger, budget.OpenFilesLimit, budget.OpenAtStart, budget.MaxConnections);
        if (budget.SafeMaxConnections is { } safe && budget.MaxConnections > safe && budget.OpenFilesLimit is { } openFiles)
        {
            ServeLog.AboveSafeLimit(logger, budget.MaxConnections, safe, openFiles);
        }
    }
}
