using Microsoft.AspNetCore.Builder;

namespace Herald.Testing.EndToEnd;

/// <summary>
/// How a suite reaches one binding: how the test server is set up for it (JSON-RPC and REST need nothing beyond
/// <c>MapHerald</c>; gRPC adds its services and an HTTP/2 endpoint) and how a wire driver connects to it.
/// A suite subclass per binding overrides its <c>Binding</c> with one of these.
/// </summary>
public abstract class WireBinding
{
    /// <summary>For test names and messages.</summary>
    public abstract string Name { get; }

    /// <summary>Adds what the binding needs to the app before it is built (services, endpoints).</summary>
    public virtual void ConfigureBuilder(WebApplicationBuilder builder)
    {
    }

    /// <summary>Maps the endpoints; by default <c>MapHerald(pattern)</c>, which serves JSON-RPC and REST.</summary>
    public virtual void Map(WebApplication app, string pattern) => app.MapHerald(pattern);

    /// <summary>A driver for the started server.</summary>
    public abstract A2AWire Connect(HeraldTestServer server);

    public override string ToString() => Name;
}

/// <summary>The bindings MapHerald serves.</summary>
public static class WireBindings
{
    public static readonly WireBinding JsonRpc = new HttpWireBinding("JSON-RPC", server => new JsonRpcWire(server));

    public static readonly WireBinding Rest = new HttpWireBinding("REST", server => new RestWire(server));

    private sealed class HttpWireBinding(string name, Func<HeraldTestServer, A2AWire> connect) : WireBinding
    {
        public override string Name => name;

        public override A2AWire Connect(HeraldTestServer server) => connect(server);
    }
}
