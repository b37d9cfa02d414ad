/// The source of `libgander_llama.so`, a thin layer over llama.cpp's C API that `gander local install` compiles
/// against the installed `llama.h`. It keeps llama.cpp's structs (which change between versions and are passed by
/// value) on the C side, so Gander itself needs neither the header nor the library to build, and talks to the shim
/// through plain pointers and integers only. It is C++ for one reason: llama.cpp's grammar code throws C++
/// exceptions through its C API, and only C++ can catch them before they end the process.
enum LlamaShimSource {
    /// Bumped whenever the functions below change, so an old compiled shim is rebuilt.
    static let version = 9

    static let text = #"""
    #include <llama.h>
    #include <math.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <algorithm>
    #include <vector>

    extern "C" {

    int gl_shim_version(void) { return 9; }

    static void gl_silent_log(enum ggml_log_level level, const char *text, void *user) {
        (void)level; (void)text; (void)user;
    }

    void gl_init(int quiet) {
        if (quiet) llama_log_set(gl_silent_log, NULL);
        llama_backend_init();
    }

    void *gl_load_model(const char *path) {
        struct llama_model_params params = llama_model_default_params();
        params.n_gpu_layers = 0;
        return llama_model_load_from_file(path, params);
    }

    void gl_free_model(void *model) { llama_model_free((struct llama_model *)model); }

    int gl_n_ctx_train(void *model) { return llama_model_n_ctx_train((struct llama_model *)model); }

    const char *gl_chat_template(void *model) { return llama_model_chat_template((struct llama_model *)model, NULL); }

    int gl_apply_template(const char *tmpl, const char **roles, const char **contents, int count, int add_assistant,
                          char *buffer, int length) {
        std::vector<llama_chat_message> messages((size_t)(count > 0 ? count : 1));
        for (int i = 0; i < count; i++) {
            messages[i].role = roles[i];
            messages[i].content = contents[i];
        }
        return llama_chat_apply_template(tmpl, messages.data(), (size_t)count, add_assistant != 0, buffer, length);
    }

    void *gl_new_context(void *model, int n_ctx, int n_batch, int n_threads) {
        struct llama_context_params params = llama_context_default_params();
        params.n_ctx = (uint32_t)n_ctx;
        params.n_batch = (uint32_t)n_batch;
        params.n_ubatch = (uint32_t)n_batch;
        params.n_threads = n_threads;
        params.n_threads_batch = n_threads;
        params.no_perf = 1;
        return llama_init_from_model((struct llama_model *)model, params);
    }

    void gl_free_context(void *context) { llama_free((struct llama_context *)context); }

    void gl_clear_memory(void *context) {
        llama_memory_clear(llama_get_memory((struct llama_context *)context), 1);
    }

    /* Forgets the cached positions from `from` on, keeping the prefix a new prompt shares with the last one.
       Returns 0 when the cache cannot drop part of a sequence (some architectures), so the caller starts over. */
    int gl_forget_from(void *context, int from) {
        return llama_memory_seq_rm(llama_get_memory((struct llama_context *)context), 0, from, -1) ? 1 : 0;
    }

    int gl_tokenize(void *model, const char *text, int length, int *tokens, int capacity, int add_special) {
        const struct llama_vocab *vocab = llama_model_get_vocab((struct llama_model *)model);
        return llama_tokenize(vocab, text, length, (llama_token *)tokens, capacity, add_special != 0, 1);
    }

    int gl_token_to_piece(void *model, int token, char *buffer, int length) {
        const struct llama_vocab *vocab = llama_model_get_vocab((struct llama_model *)model);
        return llama_token_to_piece(vocab, token, buffer, length, 0, 0);
    }

    /* The text of the model's beginning (which == 0) or end (which == 1) of sequence token, as chat templates
       write it ("<s>", "<|endoftext|>"); 0 bytes when the model has none. */
    int gl_special_token_text(void *model, int which, char *buffer, int length) {
        const struct llama_vocab *vocab = llama_model_get_vocab((struct llama_model *)model);
        llama_token token = which == 0 ? llama_vocab_bos(vocab) : llama_vocab_eos(vocab);
        if (token < 0 || length <= 0) return 0;
        const char *text = llama_vocab_get_text(vocab, token);
        if (text == NULL) return 0;
        int written = (int)strlen(text);
        if (written >= length) written = length - 1;
        memcpy(buffer, text, (size_t)written);
        buffer[written] = 0;
        return written;
    }

    int gl_is_end_of_generation(void *model, int token) {
        return llama_vocab_is_eog(llama_model_get_vocab((struct llama_model *)model), token);
    }

    /* A sampler: the sampling chain, and the grammar kept apart from it. Checking one sampled token against the
       grammar is cheap; masking the whole vocabulary is not, so that is done only when the token is rejected.
       With a trigger, the grammar is lazy: it constrains nothing until the output matches the trigger pattern
       (llama.cpp feeds it the text from the pattern's first group on), so plain text costs no grammar work. */
    struct gl_sampler {
        struct llama_sampler *chain;
        struct llama_sampler *grammar;
        const struct llama_vocab *vocab;
        llama_token_data *candidates;
        int vocab_size;
    };

    void *gl_new_sampler(void *model, const char *grammar, const char *trigger, float temperature, float top_p,
                         unsigned int seed) {
        const struct llama_vocab *vocab = llama_model_get_vocab((struct llama_model *)model);
        struct gl_sampler *sampler = (struct gl_sampler *)calloc(1, sizeof(struct gl_sampler));
        if (sampler == NULL) return NULL;
        sampler->vocab = vocab;
        sampler->vocab_size = llama_vocab_n_tokens(vocab);
        sampler->candidates = (llama_token_data *)malloc(sizeof(llama_token_data) * (size_t)sampler->vocab_size);
        if (grammar != NULL && grammar[0] != 0) {
            try {
                if (trigger != NULL && trigger[0] != 0) {
                    sampler->grammar = llama_sampler_init_grammar_lazy_patterns(vocab, grammar, "root", &trigger, 1, NULL, 0);
                } else {
                    sampler->grammar = llama_sampler_init_grammar(vocab, grammar, "root");
                }
            } catch (...) {
                sampler->grammar = NULL;
            }
            if (sampler->grammar == NULL) {
                free(sampler->candidates);
                free(sampler);
                return NULL;
            }
        }
        struct llama_sampler_chain_params params = llama_sampler_chain_default_params();
        params.no_perf = 1;
        sampler->chain = llama_sampler_chain_init(params);
        if (temperature <= 0) {
            llama_sampler_chain_add(sampler->chain, llama_sampler_init_greedy());
        } else {
            llama_sampler_chain_add(sampler->chain, llama_sampler_init_top_k(40));
            llama_sampler_chain_add(sampler->chain, llama_sampler_init_top_p(top_p, 1));
            llama_sampler_chain_add(sampler->chain, llama_sampler_init_temp(temperature));
            llama_sampler_chain_add(sampler->chain, llama_sampler_init_dist(seed));
        }
        return sampler;
    }

    void gl_free_sampler(void *handle) {
        struct gl_sampler *sampler = (struct gl_sampler *)handle;
        llama_sampler_free(sampler->chain);
        if (sampler->grammar) llama_sampler_free(sampler->grammar);
        free(sampler->candidates);
        free(sampler);
    }

    static llama_token_data_array gl_candidates(struct gl_sampler *sampler, const float *logits) {
        for (int i = 0; i < sampler->vocab_size; i++) {
            sampler->candidates[i].id = i;
            sampler->candidates[i].logit = logits[i];
            sampler->candidates[i].p = 0;
        }
        llama_token_data_array array = { sampler->candidates, (size_t)sampler->vocab_size, -1, 0 };
        return array;
    }

    /* The next token, or -1 when the grammar could not go on (llama.cpp signals that by throwing). */
    int gl_sample(void *handle, void *context) {
        struct gl_sampler *sampler = (struct gl_sampler *)handle;
        const float *logits = llama_get_logits_ith((struct llama_context *)context, -1);
        llama_token_data_array array = gl_candidates(sampler, logits);
        llama_sampler_apply(sampler->chain, &array);
        llama_token token = array.data[array.selected].id;
        if (sampler->grammar != NULL) {
            try {
                llama_token_data single = { token, 1.0f, 0.0f };
                llama_token_data_array check = { &single, 1, -1, 0 };
                llama_sampler_apply(sampler->grammar, &check);
                if (check.data[0].logit == -INFINITY) {
                    /* Rejected: look for an allowed token among the 64 most likely, then the 4096 most likely, which
                       costs a fraction of checking a 150k-260k-token vocabulary (llama.cpp walks the grammar for every
                       token it checks: 40-50 ms a step on Gemma's 262k); only when none of those fits is the whole
                       vocabulary masked. Every token outside the 4096 is less likely than every one inside, so greedy
                       decoding picks what masking the whole vocabulary would have picked. */
                    bool found = false;
                    const size_t stages[] = { 64, 4096 };
                    for (size_t stage : stages) {
                        array = gl_candidates(sampler, logits);
                        if (stage >= array.size) break;
                        std::nth_element(array.data, array.data + stage, array.data + array.size,
                                         [](const llama_token_data &a, const llama_token_data &b) { return a.logit > b.logit; });
                        /* Not marked sorted: the grammar's rejections break the order the chain would rely on. */
                        llama_token_data_array top = { array.data, stage, -1, false };
                        llama_sampler_apply(sampler->grammar, &top);
                        bool any = false;
                        for (size_t i = 0; i < top.size; i++) any = any || top.data[i].logit != -INFINITY;
                        if (any) {
                            llama_sampler_apply(sampler->chain, &top);
                            token = top.data[top.selected].id;
                            found = true;
                            break;
                        }
                    }
                    if (!found) {
                        array = gl_candidates(sampler, logits);
                        llama_sampler_apply(sampler->grammar, &array);
                        llama_sampler_apply(sampler->chain, &array);
                        token = array.data[array.selected].id;
                        if (array.data[array.selected].logit == -INFINITY) return -1;
                    }
                }
                llama_sampler_accept(sampler->grammar, token);
            } catch (...) {
                return -1;
            }
        }
        llama_sampler_accept(sampler->chain, token);
        return token;
    }

    /* The cache of sequence 0 and the tokens it holds, written to `path`; 1 on success. */
    int gl_state_save(void *context, const char *path, const int *tokens, int count) {
        return llama_state_seq_save_file((struct llama_context *)context, path, 0, (const llama_token *)tokens,
                                         (size_t)count) > 0 ? 1 : 0;
    }

    /* Reads a cache written by gl_state_save into sequence 0; returns how many tokens it holds, or -1. */
    int gl_state_load(void *context, const char *path, int *tokens, int capacity) {
        size_t count = 0;
        if (llama_state_seq_load_file((struct llama_context *)context, path, 0, (llama_token *)tokens, (size_t)capacity,
                                      &count) == 0) return -1;
        return (int)count;
    }

    int gl_decode(void *context, int *tokens, int count) {
        return llama_decode((struct llama_context *)context, llama_batch_get_one((llama_token *)tokens, count));
    }

    }  // extern "C"

    """#
}
