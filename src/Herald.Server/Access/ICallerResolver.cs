using System.Security.Claims;

namespace Herald.Server;

/// <summary>
/// Turns the authenticated user of a request into a <see cref="Caller"/>; bindings call it once per request. The default
/// (<see cref="ClaimsCallerResolver"/>) takes the principal from the <c>sub</c> claim (or the name identifier, or the name) and
/// the tenant from the claim <see cref="HeraldOptions.TenantClaimType"/>. Register another to map principals to tenants your way.
/// </summary>
public interface ICallerResolver
{
    /// <summary>The caller for <paramref name="user"/>; <see cref="Caller.Anonymous"/> when it is not authenticated.</summary>
    Caller Resolve(ClaimsPrincipal? user);
}

/// <summary>The default <see cref="ICallerResolver"/>: claims to caller.</summary>
/// <param name="tenantClaimType">The claim that names the principal's tenant; null or empty for none.</param>
public sealed class ClaimsCallerResolver(string? tenantClaimType = HeraldOptions.DefaultTenantClaimType) : ICallerResolver
{
    /// <inheritdoc />
    public Caller Resolve(ClaimsPrincipal? user)
    {
        if (user?.Identity is not { IsAuthenticated: true } identity)
        {
            return Caller.Anonymous;
        }

        var principal = user.FindFirst("sub")?.Value
            ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value
            ?? identity.Name;
        if (string.IsNullOrEmpty(principal))
        {
            // Authenticated but nameless: an identity the engine cannot tell apart from another must not share its tasks.
            throw new InvalidOperationException(
                "The authenticated user has no 'sub', name identifier or name claim, so Herald cannot tell whose tasks are whose. Register an ICallerResolver.");
        }

        var tenant = string.IsNullOrEmpty(tenantClaimType) ? null : user.FindFirst(tenantClaimType)?.Value;
        return new Caller(principal, tenant);
    }
}
