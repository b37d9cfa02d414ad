import Foundation
import GanderCore
import GanderHost
import GanderRecipes

/// One headless instruction carried to its end: the agent's run, then — for a run that must end with structured
/// output — a bounded number of reminders to a model that answered without it, and — for a recipe with `retry` —
/// its checks, and on a failed check its `on_failure` command and a fresh attempt from the start of the conversation.
/// `emit` sees every event but the intermediate `finished` ones, and a notice for each reminder and attempt; the
/// outcome it gets last covers the whole of it. Cancelling the task that runs it (Ctrl-C at the top, the parent's
/// cancellation for a sub-agent) cancels the run under way.
struct RunAttempts {
    let agent: Agent
    let instruction: String
    let history: [Message]
    let finalOutput: FinalOutputExtension?
    let reminders: Int
    let retry: Recipe.Retry?
    let workingDirectory: URL
    let emit: @Sendable (AgentEvent) -> Void

    /// The outcome over all runs; nil when no run finished.
    func run() async -> AgentOutcome? {
        var total: AgentOutcome?
        let attempts = (retry?.maxRetries ?? 0) + 1
        for attempt in 1...attempts {
            finalOutput?.reset()
            var outcome = await runWithReminders(into: &total)
            guard outcome?.stopReason == .answered, let retry else { return finish(total, as: outcome) }
            guard let failure = await firstFailingCheck(retry) else { return finish(total, as: outcome) }
            if attempt == attempts {
                let ending = "the check `\(failure.check)` failed \(failure.reason) after \(attempts) attempt\(attempts == 1 ? "" : "s")"
                emit(.error(ending))
                outcome?.stopReason = .error
                return finish(total, as: outcome)
            }
            emit(.notice("attempt \(attempt) of \(attempts): the check `\(failure.check)` failed \(failure.reason); "
                + (retry.onFailure.map { "running `\($0)`, then " } ?? "") + "starting again from the instruction"))
            if let onFailure = retry.onFailure,
               let problem = await shell(onFailure, timeout: retry.onFailureTimeoutSeconds) {
                emit(.notice("on_failure `\(onFailure)` failed \(problem); trying again anyway"))
            }
        }
        return finish(total, as: nil)
    }

    /// One run from the instruction, and reminder runs while the structured output is missing.
    private func runWithReminders(into total: inout AgentOutcome?) async -> AgentOutcome? {
        var input = Message.user(instruction)
        var conversation = history
        var remindersLeft = reminders
        while true {
            let run = agent.run(input, history: conversation)
            // The events are read in a task of their own: a cancelled task's stream ends at once, and the run's last
            // events (what was kept, `finished` as interrupted) would be lost.
            let emit = self.emit
            let reader = Task {
                var outcome: AgentOutcome?
                for await event in run.events {
                    if case .finished(let finished) = event { outcome = finished } else { emit(event) }
                }
                return outcome
            }
            let outcome = await withTaskCancellationHandler { await reader.value } onCancel: { run.cancel() }
            conversation = await run.conversation
            if let outcome {
                total = total.map { AgentOutcome(stopReason: outcome.stopReason, finalText: outcome.finalText,
                                                 usage: $0.usage + outcome.usage, turns: $0.turns + outcome.turns) } ?? outcome
            }
            guard outcome?.stopReason == .answered, let finalOutput, finalOutput.output == nil else { return outcome }
            guard remindersLeft > 0 else {
                emit(.error("the model ended without calling recipe__final_output"
                    + (reminders > 0 ? ", \(reminders) reminder\(reminders == 1 ? "" : "s") notwithstanding" : "")
                    + "; no structured output"))
                var failed = outcome
                failed?.stopReason = .error
                return failed
            }
            remindersLeft -= 1
            emit(.notice("the model answered without recipe__final_output; reminding it "
                + "(\(reminders - remindersLeft) of \(reminders))"))
            input = .user(finalOutput.reminder)
        }
    }

    private func finish(_ total: AgentOutcome?, as last: AgentOutcome?) -> AgentOutcome? {
        guard var total else { return last }
        if let last {
            total.stopReason = last.stopReason
            total.finalText = last.finalText
        }
        emit(.finished(total))
        return total
    }

    /// The first of the checks that does not exit 0, and how it failed.
    private func firstFailingCheck(_ retry: Recipe.Retry) async -> (check: String, reason: String)? {
        for check in retry.checks {
            if let reason = await shell(check, timeout: retry.timeoutSeconds) { return (check, reason) }
        }
        return nil
    }

    /// Runs `command` with `sh -c` in the working directory; nil when it exits 0, else how it failed.
    private func shell(_ command: String, timeout seconds: Int) async -> String? {
        do {
            let finished = try await ProcessLauncher.run("/bin/sh", ["-c", command], directory: workingDirectory,
                                                         timeout: .seconds(seconds))
            if finished.timedOut { return "(it ran past \(seconds) s and was stopped)" }
            if finished.status == 0 { return nil }
            return "(exit \(finished.status)" + (finished.firstErrorLine.map { ": \($0)" } ?? "") + ")"
        } catch {
            return "(it could not start: \(error))"
        }
    }
}
