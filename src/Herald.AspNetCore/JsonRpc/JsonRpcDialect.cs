namespace Herald.AspNetCore.JsonRpc;

/// <summary>Which method table and answer shapes a JSON-RPC request gets.</summary>
internal enum JsonRpcDialect
{
    /// <summary>A2A v1.0 (PascalCase methods), and any method no dialect knows (answered -32601).</summary>
    V1,

    /// <summary>A2A v0.3 (<c>message/send</c>, <c>tasks/get</c>, ...).</summary>
    V03,

    /// <summary>
    /// <c>tasks/get</c>, <c>tasks/cancel</c> and <c>tasks/resubscribe</c> without an <c>A2A-Version</c>: the names both the
    /// v0.3 and the tutorial-era clients call, with the same params. Answered in v0.3 shapes that also carry the
    /// members tutorial-era clients read.
    /// </summary>
    V03OrTutorial,

    /// <summary>The A2A tutorial's <c>tasks/send</c> and <c>tasks/sendSubscribe</c>.</summary>
    Tutorial,
}
