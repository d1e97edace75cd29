namespace Herald.AspNetCore.Tests.EndToEnd;

// The binding-parameterized suites (tests/Shared/EndToEnd/Suites) over HTTP+JSON/REST (spec 11): one subclass per suite.

public sealed class RestSendMessageTests : SendMessageTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestSubscribeToTaskTests : SubscribeToTaskTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestCancelTaskTests : CancelTaskTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestTaskQueryTests : TaskQueryTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestStreamTests : StreamTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestShutdownTests : ShutdownTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestSlowSubscriberTests : SlowSubscriberTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestErrorTests : ErrorTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestKeepAliveTests : KeepAliveTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestSseFramingTests : SseFramingTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestRequestLimitTests : RequestLimitTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestSlowResponseTests : SlowResponseTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestGenerationTests : GenerationTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}

public sealed class RestOperationTelemetryTests : OperationTelemetryTests
{
    protected override WireBinding Binding => WireBindings.Rest;
}
