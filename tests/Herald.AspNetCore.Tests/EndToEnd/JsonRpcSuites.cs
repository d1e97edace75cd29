namespace Herald.AspNetCore.Tests.EndToEnd;

// The binding-parameterized suites (tests/Shared/EndToEnd/Suites) over JSON-RPC (spec 9): one subclass per suite.

public sealed class JsonRpcSendMessageTests : SendMessageTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcSubscribeToTaskTests : SubscribeToTaskTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcCancelTaskTests : CancelTaskTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcTaskQueryTests : TaskQueryTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcStreamTests : StreamTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcShutdownTests : ShutdownTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcSlowSubscriberTests : SlowSubscriberTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcErrorTests : ErrorTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcKeepAliveTests : KeepAliveTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcSseFramingTests : SseFramingTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcRequestLimitTests : RequestLimitTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcSlowResponseTests : SlowResponseTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcGenerationTests : GenerationTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}

public sealed class JsonRpcOperationTelemetryTests : OperationTelemetryTests
{
    protected override WireBinding Binding => WireBindings.JsonRpc;
}
