import Dispatch
import Synchronization

/// Runs an async operation to its end on the calling thread: the operation's task prefers this
/// executor, so its jobs (and a default actor's, SE-0417) queue here and the caller runs them one by
/// one. Under a loaded machine, a hop to the concurrency pool and back per fuzz input cost
/// milliseconds; here a job that nothing else wakes costs nothing.
final class CallingThreadExecutor: TaskExecutor, @unchecked Sendable {
    let jobs = Mutex<[UnownedJob]>([])
    /// One signal per queued job, so a job queued from another thread wakes the caller.
    let queued = DispatchSemaphore(value: 0)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        queued.signal()
    }

    func run(_ operation: @escaping @Sendable () async -> Void) {
        let finished = Mutex(false)
        Task(executorPreference: self) {
            await operation()
            finished.withLock { $0 = true }
        }
        while !finished.withLock({ $0 }) {
            queued.wait()
            let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            job?.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
