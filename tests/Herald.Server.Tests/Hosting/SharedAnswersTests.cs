using System.Text;
using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Hosting;
using Herald.Server.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Server.Tests.Hosting;

/// <summary>
/// Answers shared by concurrent requests: never older than what a request would have built itself, built once for a
/// crowd, counted once in the budget, and gone when the last reader is done.
/// </summary>
public sealed class SharedAnswersTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RequestsArrivingDuringABuild_ShareTheNextBuild_NotTheOneAlreadyRunning()
    {
        var (answers, store, _) = Create();
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        var firstRelease = new TaskCompletionSource();
        var builds = 0;

        // The first build read the task before the crowd arrived; it must not serve them.
        var first = answers.GetAsync(key, async _ =>
        {
            Interlocked.Increment(ref builds);
            var body = await EncodeAsync(store, task.Id);
            await firstRelease.Task;
            return body;
        }, CancellationToken.None).AsTask();
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working)]);
        var crowd = Enumerable.Range(0, 5).Select(_ => answers.GetAsync(key, async _ =>
        {
            Interlocked.Increment(ref builds);
            return await EncodeAsync(store, task.Id);
        }, CancellationToken.None).AsTask()).ToList();
        var crowdWaitedForTheBuild = crowd.All(c => !c.IsCompleted);
        firstRelease.SetResult();
        using var firstAnswer = await first.Within();
        var crowdAnswers = await Task.WhenAll(crowd).Within();

        Assert.True(crowdWaitedForTheBuild);
        Assert.Equal("1:submitted", Encoding.UTF8.GetString(firstAnswer.Body));
        Assert.All(crowdAnswers, a => Assert.Equal("2:working", Encoding.UTF8.GetString(a.Body)));
        Assert.All(crowdAnswers, a => Assert.Same(crowdAnswers[0].Body, a.Body));
        Assert.Equal(2, Volatile.Read(ref builds));
        Assert.Equal(2, answers.Builds);
        foreach (var answer in crowdAnswers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task RequestsArrivingDuringABuild_TaskUnchanged_TakeThatAnswerWithoutBuildingAgain()
    {
        var (answers, store, budget) = Create();
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        var release = new TaskCompletionSource();
        var first = answers.GetAsync(key, async _ =>
        {
            var body = await EncodeAsync(store, task.Id);
            await release.Task;
            return body;
        }, CancellationToken.None).AsTask();
        var crowd = Enumerable.Range(0, 5).Select(_ => answers.GetAsync(key, _ => EncodeAsync(store, task.Id), CancellationToken.None).AsTask()).ToList();
        release.SetResult();
        var firstAnswer = await first.Within();
        var crowdAnswers = await Task.WhenAll(crowd).Within();
        var reserved = budget.BytesInFlight;
        firstAnswer.Dispose();
        var afterFirst = budget.BytesInFlight;
        foreach (var answer in crowdAnswers)
        {
            answer.Dispose();
        }

        Assert.All(crowdAnswers, a => Assert.Same(firstAnswer.Body, a.Body));
        Assert.Equal(1, answers.Builds);
        Assert.Equal(firstAnswer.Body.Length, reserved);
        Assert.Equal(reserved, afterFirst); // still read by the crowd
        Assert.Equal(0, budget.BytesInFlight);
        Assert.Equal(0, answers.ActiveKeys);
    }

    [Fact]
    public async Task AnswerStillBeingWritten_ServesLaterRequestsWhileTheTaskHasNotMoved_ThenANewBuild()
    {
        var (answers, store, budget) = Create();
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        Func<CancellationToken, ValueTask<SharedBody>> encode = _ => EncodeAsync(store, task.Id);

        var reader = await answers.GetAsync(key, encode, CancellationToken.None);
        using var later = await answers.GetAsync(key, encode, CancellationToken.None);
        var reservedForTwo = budget.BytesInFlight;
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working)]);
        using var afterChange = await answers.GetAsync(key, encode, CancellationToken.None);

        Assert.Same(reader.Body, later.Body);
        Assert.Equal(reader.Body.Length, reservedForTwo);
        Assert.Equal("2:working", Encoding.UTF8.GetString(afterChange.Body));
        Assert.Equal(2, answers.Builds);
        reader.Dispose();
    }

    [Fact]
    public async Task PositionReadFails_TheRequestBuildsItsOwnAnswer_AndTheFailureIsNotKept()
    {
        var inner = new InMemoryTaskStore();
        var store = new InterceptingTaskStore(inner);
        var options = Options.Create(new HeraldOptions { ResponseBudgetWait = TimeSpan.FromSeconds(30) });
        var budget = new ResponseBudget(options, TimeProvider.System);
        var answers = new SharedAnswers(budget, store, options, TimeProvider.System);
        var task = await NewTaskAsync(inner);
        var key = Key(task.Id);
        Func<CancellationToken, ValueTask<SharedBody>> encode = _ => EncodeAsync(inner, task.Id);
        var failNext = 0;
        store.OnGet = _ =>
        {
            if (Interlocked.Exchange(ref failNext, 0) == 1)
            {
                throw new TaskStoreUnavailableException("the store is down for one read");
            }
        };

        using var reader = await answers.GetAsync(key, encode, CancellationToken.None);
        Volatile.Write(ref failNext, 1);
        using var afterFailure = await answers.GetAsync(key, encode, CancellationToken.None);
        using var later = await answers.GetAsync(key, encode, CancellationToken.None);

        // The failed position read (an optimisation) cost a build, not an error; the next request reuses again.
        Assert.Equal("1:submitted", Encoding.UTF8.GetString(afterFailure.Body));
        Assert.Equal(2, answers.Builds);
        Assert.Same(afterFailure.Body, later.Body);
    }

    [Fact]
    public async Task LastReaderDone_BytesReturnToTheBudget_AndNothingIsKept()
    {
        var (answers, store, budget) = Create();
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        Func<CancellationToken, ValueTask<SharedBody>> encode = _ => EncodeAsync(store, task.Id);

        var readers = new List<SharedAnswer>();
        for (var i = 0; i < 4; i++)
        {
            readers.Add(await answers.GetAsync(key, encode, CancellationToken.None));
        }

        var held = budget.BytesInFlight;
        readers[0].Dispose();
        readers[0].Dispose(); // once only
        var afterOne = budget.BytesInFlight;
        foreach (var reader in readers)
        {
            reader.Dispose();
        }

        using var next = await answers.GetAsync(key, encode, CancellationToken.None);

        Assert.Equal("1:submitted".Length, held);
        Assert.Equal(held, afterOne);
        Assert.Equal(1, answers.ActiveKeys); // only the answer just asked for
        Assert.Equal(2, answers.Builds); // the first answer was let go with its last reader: not reused
        next.Dispose();
        Assert.Equal(0, budget.BytesInFlight);
        Assert.Equal(0, answers.ActiveKeys);
    }

    [Fact]
    public async Task BuildFails_EveryMemberOfItsGroupGetsTheError_AndTheKeyIsFree()
    {
        var (answers, store, _) = Create();
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        var release = new TaskCompletionSource();
        var running = answers.GetAsync(key, async _ =>
        {
            var body = await EncodeAsync(store, task.Id);
            await release.Task;
            return body;
        }, CancellationToken.None).AsTask();
        await store.AppendAsync(task.Id, [Status(task, TaskState.Working)]); // so the next group builds its own
        var failing = Enumerable.Range(0, 3).Select(_ => answers.GetAsync(key, _ => throw A2AException.TaskNotFound("gone"), CancellationToken.None).AsTask()).ToList();
        release.SetResult();
        using var ok = await running.Within();
        var errors = new List<A2AException>();
        foreach (var member in failing)
        {
            errors.Add(await Assert.ThrowsAsync<A2AException>(() => member.Within()));
        }

        ok.Dispose();

        Assert.All(errors, e => Assert.Equal(A2AErrorCodes.TaskNotFound, e.Code));
        Assert.Equal(0, answers.ActiveKeys);
    }

    [Fact]
    public async Task WaitingForALongBuild_PastTheBudgetWait_IsBusy_AndTheBuildStillServesItsOwn()
    {
        var clock = new FakeTimeProvider(T0);
        var (answers, store, _) = Create(clock, wait: TimeSpan.FromSeconds(2));
        var task = await NewTaskAsync(store);
        var key = Key(task.Id);
        var release = new TaskCompletionSource();
        var slow = answers.GetAsync(key, async _ =>
        {
            var body = await EncodeAsync(store, task.Id);
            await release.Task;
            return body;
        }, CancellationToken.None).AsTask();
        var waiting = answers.GetAsync(key, _ => EncodeAsync(store, task.Id), CancellationToken.None).AsTask();

        clock.Advance(TimeSpan.FromSeconds(1));
        var beforeTheWait = waiting.IsCompleted;
        clock.Advance(TimeSpan.FromSeconds(1));
        using var busy = await waiting.Within();
        release.SetResult();
        using var built = await slow.Within();

        Assert.False(beforeTheWait);
        Assert.Equal(SharedAnswerStatus.Busy, busy.Status);
        Assert.Equal(SharedAnswerStatus.Ready, built.Status);
        Assert.Equal(1, answers.Builds);
    }

    [Fact]
    public async Task AnswerOverTheLimit_IsNotKept_EveryoneIsToldItsSize()
    {
        var (answers, store, budget) = Create(maxResponseBytes: 5);
        var task = await NewTaskAsync(store);

        using var answer = await answers.GetAsync(Key(task.Id), _ => EncodeAsync(store, task.Id), CancellationToken.None);

        Assert.Equal(SharedAnswerStatus.TooLarge, answer.Status);
        Assert.Equal("1:submitted".Length, answer.Size);
        Assert.Empty(answer.Body);
        Assert.Equal(0, budget.BytesInFlight);
    }

    [Fact]
    public async Task DifferentShapesOrHistoryLengths_AreDifferentAnswers()
    {
        var (answers, store, _) = Create();
        var task = await NewTaskAsync(store);
        Func<CancellationToken, ValueTask<SharedBody>> encode = _ => EncodeAsync(store, task.Id);

        using var v1 = await answers.GetAsync(Key(task.Id), encode, CancellationToken.None);
        using var rest = await answers.GetAsync(Key(task.Id) with { Shape = "rest/v1" }, encode, CancellationToken.None);
        using var noHistory = await answers.GetAsync(Key(task.Id) with { HistoryLength = 0 }, encode, CancellationToken.None);

        Assert.NotSame(v1.Body, rest.Body);
        Assert.NotSame(v1.Body, noHistory.Body);
        Assert.Equal(3, answers.Builds);
    }

    [Fact]
    public async Task OtherCallers_AndOtherTenants_AreOtherAnswers()
    {
        var (answers, store, _) = Create();
        var task = await NewTaskAsync(store);
        Func<CancellationToken, ValueTask<SharedBody>> encode = _ => EncodeAsync(store, task.Id);

        using var mine = await answers.GetAsync(Key(task.Id), encode, CancellationToken.None);
        using var alice = await answers.GetAsync(Key(task.Id) with { Caller = new Caller("alice") }, encode, CancellationToken.None);
        using var aliceElsewhere = await answers.GetAsync(Key(task.Id) with { Caller = new Caller("alice"), Tenant = "acme" }, encode, CancellationToken.None);

        // Each would be allowed (or refused) on its own terms, so none rides on another's build.
        Assert.NotSame(mine.Body, alice.Body);
        Assert.NotSame(alice.Body, aliceElsewhere.Body);
        Assert.Equal(3, answers.Builds);
    }

    private static SharedAnswerKey Key(string taskId) => new(taskId, null, "jsonrpc/v1", null, Caller.Anonymous);

    /// <summary>A stand-in encoding that shows which state of the task it was built from: "sequence:state".</summary>
    private static async ValueTask<SharedBody> EncodeAsync(TaskStore store, string taskId)
    {
        var snapshot = (await store.GetAsync(taskId))!;
        var text = $"{snapshot.Sequence}:{snapshot.Task.Status.State.ToString().ToLowerInvariant()}";
        return new SharedBody(Encoding.UTF8.GetBytes(text), snapshot.Sequence);
    }

    private static (SharedAnswers Answers, TaskStore Store, ResponseBudget Budget) Create(TimeProvider? clock = null, TimeSpan? wait = null, long maxResponseBytes = 16 * 1024 * 1024)
    {
        clock ??= TimeProvider.System;
        var options = Options.Create(new HeraldOptions { ResponseBudgetWait = wait ?? TimeSpan.FromSeconds(30), MaxResponseBytes = maxResponseBytes });
        var store = new InMemoryTaskStore();
        var budget = new ResponseBudget(options, clock);
        return (new SharedAnswers(budget, store, options, clock), store, budget);
    }

    private static async Task<AgentTask> NewTaskAsync(TaskStore store)
    {
        var task = EventDrafts.NewTask(Guid.NewGuid().ToString(), "ctx", null, T0);
        await store.CreateAsync(task);
        return task;
    }

    private static TaskEvent Status(AgentTask task, TaskState state)
    {
        var update = new TaskStatusUpdateEvent
        {
            TaskId = task.Id,
            ContextId = task.ContextId!,
            Status = new AgentTaskStatus { State = state, Timestamp = T0.AddSeconds(1) },
        };
        return TaskEvent.ForStatus(0, update, T0.AddSeconds(1));
    }
}
