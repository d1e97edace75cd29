using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>Refuses settings that would spin, stall or never take effect, with the setting's name in the message.</summary>
internal sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    public ValidateOptionsResult Validate(string? name, HeraldOptions options)
    {
        var failures = new List<string>();
        Positive(failures, nameof(options.KeepAliveInterval), options.KeepAliveInterval);
        Positive(failures, nameof(options.SseRetry), options.SseRetry);
        Positive(failures, nameof(options.ShutdownTimeout), options.ShutdownTimeout);
        Positive(failures, nameof(options.RunnerLeaseDuration), options.RunnerLeaseDuration);
        Positive(failures, nameof(options.MaintenanceInterval), options.MaintenanceInterval);
        Positive(failures, nameof(options.StoreRetryHorizon), options.StoreRetryHorizon);
        Positive(failures, nameof(options.StoreOutageStreamTimeout), options.StoreOutageStreamTimeout);
        Positive(failures, nameof(options.WakeupFallbackInterval), options.WakeupFallbackInterval);
        Positive(failures, nameof(options.LongPollTimeout), options.LongPollTimeout);
        Positive(failures, nameof(options.WriteStallTimeout), options.WriteStallTimeout);
        Positive(failures, nameof(options.WebhookTimeout), options.WebhookTimeout);
        Positive(failures, nameof(options.PushDeliveryLease), options.PushDeliveryLease);
        Positive(failures, nameof(options.PushPollInterval), options.PushPollInterval);
        Positive(failures, nameof(options.PushRetryDelay), options.PushRetryDelay);
        Positive(failures, nameof(options.PushMaxRetryDelay), options.PushMaxRetryDelay);
        if (options.PushDeliveryLease <= options.WebhookTimeout)
        {
            failures.Add($"{nameof(options.PushDeliveryLease)} ({options.PushDeliveryLease}) must be longer than {nameof(options.WebhookTimeout)} ({options.WebhookTimeout}): a delivery renews its lease only between posts.");
        }

        if (options.PushMaxAttempts < 1 || options.MaxConcurrentPushDeliveries < 1 || options.MaxPushConfigsPerTask < 1)
        {
            failures.Add($"{nameof(options.PushMaxAttempts)}, {nameof(options.MaxConcurrentPushDeliveries)} and {nameof(options.MaxPushConfigsPerTask)} must be at least 1.");
        }
        foreach (var entry in options.WebhookAllow ?? [])
        {
            try
            {
                Push.WebhookAddressPolicy.ParseAllowEntry(entry);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{nameof(options.WebhookAllow)} (--webhook-allow): {ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal)}");
            }
        }

        if (options.ResponseBudgetWait < TimeSpan.Zero && options.ResponseBudgetWait != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{nameof(options.ResponseBudgetWait)} must not be negative; it is {options.ResponseBudgetWait}.");
        }

        if (options.MaxResponseBytesInFlight < 64 * 1024)
        {
            failures.Add($"{nameof(options.MaxResponseBytesInFlight)} must be at least 65536; it is {options.MaxResponseBytesInFlight}.");
        }

        if (options.MaxConcurrentRuns is < 1)
        {
            failures.Add($"{nameof(options.MaxConcurrentRuns)} must be at least 1 (null for no limit); it is {options.MaxConcurrentRuns}.");
        }

        if (options.MaxConcurrentTaskSnapshots < 1)
        {
            failures.Add($"{nameof(options.MaxConcurrentTaskSnapshots)} must be at least 1; it is {options.MaxConcurrentTaskSnapshots}.");
        }
        if (options.TaskRetention is { } retention && retention != Timeout.InfiniteTimeSpan && retention < TimeSpan.Zero)
        {
            failures.Add($"{nameof(options.TaskRetention)} must not be negative (null keeps tasks forever); it is {retention}.");
        }

        if (options.MaxRequestBodyBytes < 1)
        {
            failures.Add($"{nameof(options.MaxRequestBodyBytes)} must be at least 1; it is {options.MaxRequestBodyBytes}.");
        }

        if (options.MaxEventBytes < 1024)
        {
            failures.Add($"{nameof(options.MaxEventBytes)} must be at least 1024; it is {options.MaxEventBytes}.");
        }

        if (options.MaxResponseBytes < options.MaxEventBytes)
        {
            failures.Add($"{nameof(options.MaxResponseBytes)} ({options.MaxResponseBytes}) must be at least {nameof(options.MaxEventBytes)} ({options.MaxEventBytes}).");
        }

        if (options.MaxRequestIdLength < 4)
        {
            failures.Add($"{nameof(options.MaxRequestIdLength)} must be at least 4; it is {options.MaxRequestIdLength}.");
        }

        if (options.MaxJsonDepth is < 1 or > 512)
        {
            failures.Add($"{nameof(options.MaxJsonDepth)} must be between 1 and 512; it is {options.MaxJsonDepth}.");
        }

        if (options.MaxPageSize < 1)
        {
            failures.Add($"{nameof(options.MaxPageSize)} must be at least 1; it is {options.MaxPageSize}.");
        }

        if (options.DefaultPageSize < 1 || options.DefaultPageSize > options.MaxPageSize)
        {
            failures.Add($"{nameof(options.DefaultPageSize)} must be between 1 and {nameof(options.MaxPageSize)} ({options.MaxPageSize}); it is {options.DefaultPageSize}.");
        }

        if (string.IsNullOrWhiteSpace(options.InstanceId))
        {
            failures.Add($"{nameof(options.InstanceId)} must not be empty.");
        }

        if (options.PublicBaseUrl is { } publicUrl && (!publicUrl.IsAbsoluteUri || publicUrl.Scheme is not ("http" or "https")))
        {
            failures.Add($"{nameof(options.PublicBaseUrl)} must be an absolute http or https URL; it is '{publicUrl}'.");
        }

        if (options.Card is null)
        {
            failures.Add($"{nameof(options.Card)} must be set.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{name} must be greater than zero; it is {value}.");
        }
    }
}
