import GanderCore

/// The scripts the browser tools run in the page. They only mark and read the page: numbers on the elements a
/// model can act on, the current values of form fields, which elements are hidden. Gander renders the Markdown itself.
enum PageScripts {
    /// Numbers every visible element one can click or type into (`data-gander-id`), records form fields' live values
    /// and marks hidden elements, then returns the page's title, address and HTML.
    static let snapshot = """
        (() => {
          for (const old of document.querySelectorAll('[data-gander-id],[data-gander-hidden],[data-gander-value],[data-gander-checked],[data-gander-selected]')) {
            for (const name of ['data-gander-id', 'data-gander-hidden', 'data-gander-value', 'data-gander-checked', 'data-gander-selected']) old.removeAttribute(name);
          }
          const interactive = 'a[href],button,input,select,textarea,summary,[role=button],[role=link],[role=checkbox],[role=tab],[role=menuitem],[onclick],[contenteditable=""],[contenteditable=true]';
          let number = 0;
          const root = document.body || document.documentElement;
          for (const element of root.querySelectorAll('*')) {
            if (element.closest('[data-gander-hidden]')) continue;
            const visible = element.checkVisibility ? element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) : element.offsetParent !== null;
            if (!visible && !(element instanceof HTMLOptionElement) && element.type !== 'hidden') { element.setAttribute('data-gander-hidden', ''); continue; }
            if (!element.matches(interactive) || element.disabled) continue;
            element.setAttribute('data-gander-id', String(++number));
            if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
              if (element.type === 'checkbox' || element.type === 'radio') { if (element.checked) element.setAttribute('data-gander-checked', ''); }
              else if (element.type !== 'password') element.setAttribute('data-gander-value', element.value);
              else if (element.value) element.setAttribute('data-gander-value', '•'.repeat(element.value.length));
            }
            if (element instanceof HTMLSelectElement) {
              for (const option of element.options) if (option.selected) option.setAttribute('data-gander-selected', '');
            }
          }
          return {title: document.title, url: location.href, html: document.documentElement.outerHTML, elements: number};
        })()
        """

    /// The expression that finds the element the model named: by its number from the last snapshot, or a CSS selector.
    static func find(element: Int?, selector: String?) -> String {
        if let element { return "document.querySelector('[data-gander-id=\"\(element)\"]')" }
        return "document.querySelector(\(quoted(selector ?? "")))"
    }

    /// Scrolls the element into view and returns the middle of its box, or null when there is none.
    static func center(of finder: String) -> String {
        """
        (() => {
          const element = \(finder);
          if (!element) return null;
          element.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
          const box = element.getBoundingClientRect();
          return {x: box.left + box.width / 2, y: box.top + box.height / 2, width: box.width, height: box.height};
        })()
        """
    }

    /// Focuses a text field and empties it, so typing replaces what was there; false when it is not a field.
    static func focusAndClear(_ finder: String) -> String {
        """
        (() => {
          const element = \(finder);
          if (!element) return null;
          element.scrollIntoView({block: 'center', behavior: 'instant'});
          element.focus();
          if ('value' in element) {
            element.value = '';
            element.dispatchEvent(new Event('input', {bubbles: true}));
            return true;
          }
          if (element.isContentEditable) { element.textContent = ''; return true; }
          return false;
        })()
        """
    }

    /// Chooses the option whose value or label is `option`; returns the labels there are when none matches.
    static func select(_ finder: String, option: String) -> String {
        """
        (() => {
          const element = \(finder);
          if (!element) return null;
          if (!(element instanceof HTMLSelectElement)) return {error: 'not a select element'};
          const wanted = \(quoted(option));
          const match = [...element.options].find(o => o.value === wanted || o.label.trim() === wanted || o.text.trim() === wanted);
          if (!match) return {error: 'no option ' + JSON.stringify(wanted), options: [...element.options].map(o => o.label.trim())};
          element.value = match.value;
          element.dispatchEvent(new Event('input', {bubbles: true}));
          element.dispatchEvent(new Event('change', {bubbles: true}));
          return {selected: match.label.trim()};
        })()
        """
    }

    /// The box of an element in page coordinates, for a screenshot of it.
    static func box(of finder: String) -> String {
        """
        (() => {
          const element = \(finder);
          if (!element) return null;
          element.scrollIntoView({block: 'center', behavior: 'instant'});
          const box = element.getBoundingClientRect();
          return {x: box.left + window.scrollX, y: box.top + window.scrollY, width: box.width, height: box.height};
        })()
        """
    }

    static func scroll(by pages: Double) -> String {
        """
        (() => {
          window.scrollBy({top: window.innerHeight * \(pages), behavior: 'instant'});
          return {y: Math.round(window.scrollY), height: document.documentElement.scrollHeight, view: window.innerHeight};
        })()
        """
    }

    static func exists(_ selector: String) -> String {
        "!!document.querySelector(\(quoted(selector)))"
    }

    /// `text` as a JavaScript string literal: JSON's string syntax is one (since ES2019, U+2028 and U+2029 included).
    static func quoted(_ text: String) -> String {
        JSONValue.string(text).canonicalText
    }
}
