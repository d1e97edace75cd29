using Microsoft.Extensions.DependencyInjection;

namespace Herald.Server.Hosting;

/// <summary>Chains Herald features after <c>services.AddHerald()</c>.</summary>
public interface IHeraldBuilder
{
    IServiceCollection Services { get; }
}

internal sealed class HeraldBuilder(IServiceCollection services) : IHeraldBuilder
{
    public IServiceCollection Services { get; } = services;
}
