using Xunit.Abstractions;
using Xunit.Sdk;

namespace Herald.Testing;

/// <summary>
/// A fact of a test base that runs once per store: in a subclass that needs PostgreSQL (<see cref="INeedPostgres"/>),
/// it is skipped with the reason where PostgreSQL cannot run (<see cref="PostgresServer.SkipReason"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Herald.Testing.StoreFactDiscoverer", "Herald.Server.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>A theory of a test base that runs once per store (see <see cref="StoreFactAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Herald.Testing.StoreTheoryDiscoverer", "Herald.Server.Tests")]
public sealed class StoreTheoryAttribute : TheoryAttribute;

internal static class StoreSkip
{
    public static string? Reason(ITestMethod testMethod) =>
        typeof(INeedPostgres).IsAssignableFrom(testMethod.TestClass.Class.ToRuntimeType()) ? PostgresServer.SkipReason : null;

    public static IXunitTestCase[] Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, string reason) =>
        [new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, reason)];
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        StoreSkip.Reason(testMethod) is { } reason
            ? StoreSkip.Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}

public sealed class StoreTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        StoreSkip.Reason(testMethod) is { } reason
            ? StoreSkip.Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
