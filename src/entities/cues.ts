import type { EntityType } from './types.js';

/**
 * Word cues the tagger uses on top of compromise's tags. They are closed-class words and generic
 * head nouns ("University", "Lake", "Festival"), never lists of names: the names themselves come
 * from the tagger and from context.
 */
const set = (words: string) => new Set(words.split(/\s+/).filter(Boolean));

/** A name ending in one of these is an organization ("Stanford University", "Bright Labs"). */
export const ORG_HEADS = set(`
  university college school academy institute bank hospital clinic inc inc. corp corp. corporation company co co.
  ltd ltd. llc plc gmbh labs lab group foundation association society army navy council agency ministry
  department nations union party motors airlines airways systems technologies partners studios records
  bakery cafe restaurant club team fc church committee commission federation league press times news`);
/** A name starting with one of these is an organization ("University of Lagos", "Bank of America"). */
export const ORG_FIRST = set('university bank college institute department ministry');
/** A name ending in one of these is a place ("Central Park", "Main Street", "Carnegie Hall"). */
export const PLACE_HEADS = set(`
  street st st. avenue ave ave. road rd rd. boulevard lane drive park lake river mountain mountains valley beach
  island islands bay hall city county state province square bridge coast canyon falls hills forest desert sea
  ocean creek harbor harbour airport station center centre mall market museum stadium arena gardens
  heights village town district peninsula`);
/** A name starting with one of these is a place ("Lake Tahoe", "Mount Fuji"). */
export const PLACE_FIRST = set('lake mount mt mt. fort port cape lake saint san santa los las new');
/** A name ending in one of these is an event ("Chicago Marathon", "Pride parade", "New Year's Eve"). */
export const EVENT_HEADS = set(`
  festival marathon conference summit expo fair parade cup championship championships games olympics bowl
  tournament concert gala show eve day week weekend carnival convention hackathon ceremony rally race`);

/** Before an unknown name: it is where someone is or goes. */
export const PLACE_BEFORE = set('in near around across visited visit visiting outside inside throughout toward towards');
/** Verbs of movement, after which "to X" / "from X" name a place. */
export const MOTION = set(`
  go goes going went gone come came coming move moved moving moves fly flew flying flight flights drive drove driving
  travel traveled travelled traveling travelling trip trips back return returned returning headed heading
  walk walked moving relocate relocated relocating ride rode train`);
/** Around "at/for/by X": X employs, hires or acts like an organization. */
export const ORG_CONTEXT = set(`
  work works worked working job jobs intern interned internship interview interviewing hired hire employed
  employer offer acquired organized organised funded sponsored volunteer volunteers volunteered volunteering
  manager boss team company startup career position role contract customer client shop shopping order ordered
  from`);
/** Right before an unknown name: it is a product someone owns or uses. */
export const PRODUCT_BEFORE = set(`
  bought buy buying ordered order using use used play playing played reading read watched watching installed
  downloaded drive drove driving fixed own owns called`);
/** Right before an unknown name: it is an occasion. */
export const EVENT_BEFORE = set('on celebrated celebrate celebrating during attended attend attending for');
/** Right before an unknown name: it is a person. */
export const PERSON_BEFORE = set(`
  with and met meet meeting told tell ask asked hey hi hello thanks thank dear friend friends brother sister mom
  mum dad mother father son daughter wife husband cousin uncle aunt neighbor neighbour roommate boyfriend
  girlfriend partner grandson granddaughter grandma grandpa grandmother grandfather nephew niece boss named
  coworker colleague teacher coach baby kid`);
/** Verbs after which "to X" names a person. */
export const TALK = set('talk talked talking spoke speak speaking write wrote writing send sent lent lend give gave said say listen');
/** Right after an unknown name: it is a person. */
export const PERSON_AFTER = set(`
  said says told asks asked thinks thought wants wanted loves loved likes liked is was has had and will would
  can could works worked lives lived moved went got took gave bought made feels felt`);
/** Words that modify a date ("last Tuesday", "every summer"). */
export const DATE_MODIFIERS = set('last next this every early late mid past coming previous');
/** Parts of the day and of the year: dates after a modifier or a day ("this morning", "Friday night"). */
export const TIME_WORDS = set('morning afternoon evening night tonight spring summer autumn fall winter weekend weekends week month year quarter');

/**
 * Category nouns: when the text says what a name is ("a beagle called Rex", "my dog Rex", "Rex, my
 * dog", "the city of Porto", "Acme is a startup"), the noun decides its type over every other cue.
 * Singular nouns only, and no noun that says little ("place", "thing"); "boy"/"girl" are left out
 * (people call their dogs that).
 */
const kinds = (type: EntityType, words: string) => [...set(words)].map((w) => [w, type] as const);
export const KIND_NOUNS: ReadonlyMap<string, EntityType> = new Map<string, EntityType>([
  ...kinds('animal', `
    animal pet dog puppy pup doggo pooch mutt hound cat kitten kitty tabby beagle labrador poodle terrier
    retriever spaniel bulldog husky collie dachshund corgi pug chihuahua greyhound dalmatian rottweiler
    schnauzer shiba pitbull whippet horse pony mare stallion foal donkey mule rabbit bunny hamster gerbil
    ferret mouse rat chinchilla hedgehog parrot parakeet budgie canary cockatiel bird goldfish fish
    turtle tortoise snake lizard gecko iguana frog cow calf goat sheep lamb pig piglet chicken hen
    rooster duck goose alpaca llama`),
  ...kinds('place', `
    city town village hamlet country nation state province region county district neighborhood neighbourhood
    suburb capital island peninsula lake river mountain valley bay beach park`),
  ...kinds('organization', `
    company startup start-up firm business corporation agency charity nonprofit non-profit ngo band orchestra
    choir school university college academy institute bank club team league brand label publisher studio
    restaurant cafe café bakery shop store gym hospital clinic church organization organisation foundation
    employer`),
  ...kinds('product', 'app application game console car phone laptop software device gadget'),
  ...kinds('event', 'festival conference concert marathon tournament parade gala fair convention hackathon'),
  ...kinds('person', `
    friend brother sister mom mum dad mother father son daughter wife husband cousin uncle aunt neighbor
    neighbour roommate boyfriend girlfriend fiance fiancé fiancee fiancée grandson granddaughter grandma grandpa
    grandmother grandfather nephew niece boss coworker colleague teacher coach doctor nurse therapist lawyer
    chemist engineer student classmate guy man woman lady`),
]);
/** "the city of Porto": the category nouns a place is named after with "of". */
export const PLACE_OF = set('city town village state province island country region county kingdom republic');
/** Before a category noun ("a", "my", "Alice's"): the noun phrase says what the next name is. */
export const DETERMINERS = set('a an the this that my our your his her their its');
