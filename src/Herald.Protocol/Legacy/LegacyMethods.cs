namespace Herald.Protocol.Legacy;

/// <summary>
/// The JSON-RPC methods of the A2A tutorial era. <c>tasks/get</c>, <c>tasks/cancel</c> and
/// <c>tasks/resubscribe</c> keep their names in v0.3 (with the same <c>{"id"}</c> parameters).
/// </summary>
public static class LegacyMethods
{
    public const string Send = "tasks/send";
    public const string SendSubscribe = "tasks/sendSubscribe";
    public const string Get = "tasks/get";
    public const string Cancel = "tasks/cancel";
    public const string Resubscribe = "tasks/resubscribe";

    /// <summary>The methods only the tutorial era has.</summary>
    public static bool IsLegacyOnly(string method) => method is Send or SendSubscribe;
}
