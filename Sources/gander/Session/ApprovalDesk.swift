import GanderCore

/// Where the agent's questions ("may this tool run?") meet the user's answers. The agent asks through
/// `ToolApprover` and waits; the session sees the `approvalRequested` event in stream order, asks the user, and
/// answers here. Either side may come first.
actor ApprovalDesk: ToolApprover {
    private var waiting: [String: CheckedContinuation<ApprovalAnswer, Never>] = [:]
    private var early: [String: ApprovalAnswer] = [:]

    func approve(_ call: ToolCall) async -> ApprovalAnswer {
        if let answer = early.removeValue(forKey: call.id) { return answer }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: .deny(reason: "the user interrupted the turn"))
                } else {
                    waiting[call.id] = continuation
                }
            }
        } onCancel: {
            Task { await self.answer(call.id, .deny(reason: "the user interrupted the turn")) }
        }
    }

    func answer(_ callID: String, _ answer: ApprovalAnswer) {
        if let continuation = waiting.removeValue(forKey: callID) {
            continuation.resume(returning: answer)
        } else {
            early[callID] = answer
        }
    }
}
