import Foundation

/// How often and how patiently to retry: capped exponential backoff with full jitter.
public struct RetryPolicy: Sendable {
    /// Attempts in total, including the first.
    public var maxAttempts: Int
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 6, baseDelaySeconds: Double = 0.1, maxDelaySeconds: Double = 10) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The pause before attempt `attempt + 1` (attempt counts from 1). Throttling waits longer.
    public func delay(afterAttempt attempt: Int, throttled: Bool) -> Double {
        let base = throttled ? baseDelaySeconds * 4 : baseDelaySeconds
        let ceiling = min(maxDelaySeconds, base * pow(2, Double(attempt - 1)))
        return Double.random(in: 0 ... ceiling)
    }
}
