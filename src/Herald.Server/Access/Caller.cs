using Herald.Server.Storage;

namespace Herald.Server;

/// <summary>
/// Who is calling the engine: the authenticated principal (empty for an anonymous caller) and the tenant the host assigned
/// to it, if any. Bindings resolve one per request (<see cref="ICallerResolver"/>); a task belongs to the caller that created
/// it, in the tenant of that request, and every other caller is told it does not exist unless an
/// <see cref="ITaskAccessPolicy"/> says otherwise. <see cref="System"/> is for trusted in-process code and sees every task.
/// </summary>
public sealed record Caller
{
    /// <summary>A caller with <paramref name="principal"/> (empty: anonymous) and the tenant the host assigned (null: none).</summary>
    public Caller(string principal, string? tenant = null)
    {
        ArgumentNullException.ThrowIfNull(principal);
        Principal = principal;
        Tenant = string.IsNullOrEmpty(tenant) ? null : tenant;
    }

    private Caller(bool system)
    {
        Principal = "";
        IsSystem = system;
    }

    /// <summary>An unauthenticated caller of an open server (what every request was before callers existed).</summary>
    public static Caller Anonymous { get; } = new("");

    /// <summary>Trusted in-process code: every task is its to read and change, in any tenant.</summary>
    public static Caller System { get; } = new(system: true);

    /// <summary>The principal id (a token's <c>sub</c>, an API key's principal); empty for an anonymous caller.</summary>
    public string Principal { get; }

    /// <summary>
    /// The tenant the host assigned to the principal (by default its <c>tenant</c> claim), or null. When set, a request that
    /// names another tenant is refused; when null, the request's own tenant (the REST <c>/{tenant}</c> prefix, the JSON-RPC and
    /// gRPC <c>tenant</c> field) applies.
    /// </summary>
    public string? Tenant { get; }

    /// <summary>True for <see cref="System"/>.</summary>
    public bool IsSystem { get; }

    /// <summary>True when no principal was authenticated (and the caller is not <see cref="System"/>).</summary>
    public bool IsAnonymous => Principal.Length == 0 && !IsSystem;

    /// <summary>The caller that owns a task: its creator, as seen from agent code (<c>AgentContext.Caller</c>).</summary>
    public static Caller Of(TaskOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return owner.Principal.Length == 0 && owner.Tenant.Length == 0 ? Anonymous : new Caller(owner.Principal, owner.Tenant);
    }

    /// <inheritdoc />
    public override string ToString() => IsSystem ? "system" : (IsAnonymous ? "anonymous" : Principal) + (Tenant is null ? "" : "@" + Tenant);
}
