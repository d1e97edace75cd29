using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// The base of every binding-parameterized suite: a concrete subclass per binding picks <see cref="Binding"/>, and the
/// suite's tests start their servers through it and talk to them through <see cref="HeraldTestServer.Wire"/>.
/// </summary>
public abstract class BindingTests
{
    protected abstract WireBinding Binding { get; }

    protected Task<HeraldTestServer> StartAsync(
        ControlledAgent agent,
        Action<HeraldOptions>? configureOptions = null,
        Action<IServiceCollection>? configureServices = null,
        string pattern = "/") =>
        HeraldTestServer.StartAsync(agent, configureOptions, configureServices, pattern, Binding);

    protected Task<HeraldTestServer> StartAsync(
        Action<IHeraldBuilder> configureAgent,
        Action<HeraldOptions>? configureOptions = null,
        Action<IServiceCollection>? configureServices = null,
        string pattern = "/") =>
        HeraldTestServer.StartAsync(configureAgent, configureOptions, configureServices, pattern, Binding);

    /// <summary>Runs <paramref name="call"/>, which must fail with the A2A error <paramref name="code"/>.</summary>
    protected static Task<WireError> ErrorAsync(Func<Task> call, int code) => A2AWire.ErrorAsync(call, code);
}
