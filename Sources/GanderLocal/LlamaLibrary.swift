import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// llama.cpp, reached through Gander's compiled shim (`libgander_llama.so`), loaded at run time with `dlopen`.
final class LlamaLibrary: @unchecked Sendable {
    typealias LoadModel = @convention(c) (UnsafePointer<CChar>) -> UnsafeMutableRawPointer?
    typealias FreeHandle = @convention(c) (UnsafeMutableRawPointer) -> Void
    typealias ContextLength = @convention(c) (UnsafeMutableRawPointer) -> Int32
    typealias ChatTemplate = @convention(c) (UnsafeMutableRawPointer) -> UnsafePointer<CChar>?
    typealias ApplyTemplate = @convention(c) (
        UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>, Int32, Int32,
        UnsafeMutablePointer<CChar>?, Int32) -> Int32
    typealias NewContext = @convention(c) (UnsafeMutableRawPointer, Int32, Int32, Int32) -> UnsafeMutableRawPointer?
    typealias Tokenize = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>, Int32, UnsafeMutablePointer<Int32>?, Int32, Int32) -> Int32
    typealias TokenToPiece = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafeMutablePointer<CChar>, Int32) -> Int32
    typealias IsEndOfGeneration = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    typealias SpecialTokenText = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafeMutablePointer<CChar>, Int32) -> Int32
    typealias NewSampler = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Float, Float, UInt32) -> UnsafeMutableRawPointer?
    typealias ForgetFrom = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    typealias Decode = @convention(c) (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias Sample = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
    typealias StateSave = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>, UnsafePointer<Int32>, Int32) -> Int32
    typealias StateLoad = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>, UnsafeMutablePointer<Int32>, Int32) -> Int32

    let loadModel: LoadModel
    let freeModel: FreeHandle
    let contextLengthTrained: ContextLength
    let chatTemplate: ChatTemplate
    let applyTemplate: ApplyTemplate
    let newContext: NewContext
    let freeContext: FreeHandle
    let clearMemory: FreeHandle
    let forgetFrom: ForgetFrom
    let tokenize: Tokenize
    let tokenToPiece: TokenToPiece
    let isEndOfGeneration: IsEndOfGeneration
    let specialTokenText: SpecialTokenText
    let newSampler: NewSampler
    let freeSampler: FreeHandle
    let decode: Decode
    let sample: Sample
    let stateSave: StateSave
    let stateLoad: StateLoad

    /// Loads the shim; `llamaLibrary`, when given, is loaded first so the shim binds to that build of llama.cpp.
    init(shim: URL, llamaLibrary: URL?) throws {
        if let llamaLibrary {
            guard dlopen(llamaLibrary.path, RTLD_NOW | RTLD_GLOBAL) != nil else {
                throw LocalModelError.runtimeUnusable(llamaLibrary.path, Self.lastError())
            }
        }
        guard let handle = dlopen(shim.path, RTLD_NOW | RTLD_LOCAL) else {
            throw LocalModelError.runtimeUnusable(shim.path, Self.lastError())
        }
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let pointer = dlsym(handle, name) else {
                throw LocalModelError.runtimeUnusable(shim.path, "it has no \(name); run `gander local install` again")
            }
            return unsafeBitCast(pointer, to: type)
        }
        typealias Initialize = @convention(c) (Int32) -> Void
        try symbol("gl_init", as: Initialize.self)(ProcessInfo.processInfo.environment["GANDER_LLAMA_LOG"] == nil ? 1 : 0)
        loadModel = try symbol("gl_load_model", as: LoadModel.self)
        freeModel = try symbol("gl_free_model", as: FreeHandle.self)
        contextLengthTrained = try symbol("gl_n_ctx_train", as: ContextLength.self)
        chatTemplate = try symbol("gl_chat_template", as: ChatTemplate.self)
        applyTemplate = try symbol("gl_apply_template", as: ApplyTemplate.self)
        newContext = try symbol("gl_new_context", as: NewContext.self)
        freeContext = try symbol("gl_free_context", as: FreeHandle.self)
        clearMemory = try symbol("gl_clear_memory", as: FreeHandle.self)
        forgetFrom = try symbol("gl_forget_from", as: ForgetFrom.self)
        tokenize = try symbol("gl_tokenize", as: Tokenize.self)
        tokenToPiece = try symbol("gl_token_to_piece", as: TokenToPiece.self)
        isEndOfGeneration = try symbol("gl_is_end_of_generation", as: IsEndOfGeneration.self)
        specialTokenText = try symbol("gl_special_token_text", as: SpecialTokenText.self)
        newSampler = try symbol("gl_new_sampler", as: NewSampler.self)
        freeSampler = try symbol("gl_free_sampler", as: FreeHandle.self)
        decode = try symbol("gl_decode", as: Decode.self)
        sample = try symbol("gl_sample", as: Sample.self)
        stateSave = try symbol("gl_state_save", as: StateSave.self)
        stateLoad = try symbol("gl_state_load", as: StateLoad.self)
    }

    private static func lastError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown error"
    }
}
