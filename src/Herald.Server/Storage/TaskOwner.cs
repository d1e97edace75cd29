namespace Herald.Server.Storage;

/// <summary>
/// Whose a task is: the principal that created it and the tenant it lives in. Stores keep it with the task from its first
/// write on and filter lists by it; it never changes and is never part of the wire task.
/// </summary>
/// <param name="Principal">The creator's principal id; empty for an anonymous caller (an open server).</param>
/// <param name="Tenant">The tenant; empty for none.</param>
public sealed record TaskOwner(string Principal, string Tenant)
{
    /// <summary>No principal, no tenant: the owner of every task created on an open server without a tenant.</summary>
    public static TaskOwner Anonymous { get; } = new("", "");

    /// <summary>The owner as a store keeps it: null and empty mean the same.</summary>
    public static TaskOwner Of(string? principal, string? tenant) =>
        string.IsNullOrEmpty(principal) && string.IsNullOrEmpty(tenant) ? Anonymous : new(principal ?? "", tenant ?? "");
}
